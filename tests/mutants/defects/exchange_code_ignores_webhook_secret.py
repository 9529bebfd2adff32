"""exchange-code ignores a given webhook_secret (its request model lacks the field) and generates a random one."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-SECRET-CUSTOM",)


def apply() -> None:
    from typing import Any

    from pydantic import model_validator

    import reference.api.connect
    from tests.mutants.seams import replace_component

    class NoSecretField(reference.api.connect.ExchangeRequest):
        @model_validator(mode="before")
        @classmethod
        def _as_if_the_field_were_missing(cls, data: Any) -> Any:
            return {k: v for k, v in data.items() if k != "webhook_secret"} if isinstance(data, dict) else data

    replace_component(reference.api.connect, "ExchangeRequest", NoSecretField)
