"""Normalises media_type (strip and lower-case) before checking it: 'IMAGE' and ' image' are accepted."""

from __future__ import annotations

from pydantic import field_validator

REQUIREMENTS = ("MEDIA-SEND-TYPE-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1

    class LenientType(reference.api.v1.SendMedia):
        @field_validator("media_type", mode="before")
        @classmethod
        def _normalise(cls, value):
            return value.strip().lower() if isinstance(value, str) else value

    replace_component(reference.api.v1, "SendMedia", LenientType)
