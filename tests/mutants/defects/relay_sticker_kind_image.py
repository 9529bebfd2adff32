"""A WhatsApp sticker is given media.kind "image" (a sticker is a WebP image) instead of "sticker"."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-KIND",)


def apply() -> None:
    import reference.media

    reference.media.WA_KINDS = {**reference.media.WA_KINDS, "sticker": "image"}
