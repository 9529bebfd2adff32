"""exchange-code ignores the given webhook_events (its request model lacks the field): the channel starts with none."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-EVENTS",)


def apply() -> None:
    from typing import Any

    from pydantic import model_validator

    import reference.api.connect
    from tests.mutants.seams import replace_component

    class NoEventsField(reference.api.connect.ExchangeRequest):
        @model_validator(mode="before")
        @classmethod
        def _as_if_the_field_were_missing(cls, data: Any) -> Any:
            return {k: v for k, v in data.items() if k != "webhook_events"} if isinstance(data, dict) else data

    replace_component(reference.api.connect, "ExchangeRequest", NoEventsField)
