"""The send request model silently truncates text to 4096 characters (the largest limit) instead of refusing it."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-REJECTOR",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import field_validator

    import reference.api.v1

    class Truncating(reference.api.v1.SendText):
        @field_validator("text")
        @classmethod
        def _truncate(cls, value: str) -> str:
            return value[:4096]

    replace_component(reference.api.v1, "SendText", Truncating)
