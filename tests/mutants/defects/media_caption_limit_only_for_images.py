"""Checks the 1024-character caption limit on images only: a video or document caption of any length is
accepted and sent to Meta."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-CAPTION-MAX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import Field, model_validator

    import reference.api.v1

    class ImageOnlyLimit(reference.api.v1.SendMedia):
        caption: str | None = Field(default=None)

        @model_validator(mode="after")
        def _image_caption(self):
            if self.media_type == "image" and self.caption is not None and len(self.caption) > 1024:
                raise ValueError("caption: at most 1024 characters")
            return self

    replace_component(reference.api.v1, "SendMedia", ImageOnlyLimit)
