"""Accepts a send-media caption of 1025 characters: the caption limit is off by one."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-CAPTION-MAX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import Field

    import reference.api.v1

    class LooseCaption(reference.api.v1.SendMedia):
        caption: str | None = Field(default=None, max_length=1025)

    replace_component(reference.api.v1, "SendMedia", LooseCaption)
