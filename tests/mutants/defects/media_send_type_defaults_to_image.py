"""Makes media_type optional in send-media: a request without it is sent as an image."""

from __future__ import annotations

from typing import Literal

REQUIREMENTS = ("MEDIA-SEND-REQUIRED-FIELDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1

    class DefaultImage(reference.api.v1.SendMedia):
        media_type: Literal["image", "audio", "video", "document"] = "image"

    replace_component(reference.api.v1, "SendMedia", DefaultImage)
