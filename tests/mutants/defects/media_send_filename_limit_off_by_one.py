"""Accepts a send-media filename of 256 characters: the filename limit is off by one."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-FILENAME-MAX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import Field

    import reference.api.v1

    class LooseFilename(reference.api.v1.SendMedia):
        filename: str | None = Field(default=None, max_length=256)

    replace_component(reference.api.v1, "SendMedia", LooseFilename)
