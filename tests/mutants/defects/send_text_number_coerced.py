"""/messages/send coerces a number given as text (or recipient) to a string and sends it instead of refusing it."""

from __future__ import annotations

REQUIREMENTS = ("SEND-REQUIRED-FIELDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import ConfigDict

    import reference.api.v1

    class Coercing(reference.api.v1.SendText):
        model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    replace_component(reference.api.v1, "SendText", Coercing)
