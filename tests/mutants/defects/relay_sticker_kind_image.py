"""A WhatsApp sticker is given media.kind "image" (a sticker is a WebP image) instead of "sticker"."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-KIND",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.media

    replace_component(reference.media, "WA_KINDS", {**reference.media.WA_KINDS, "sticker": "image"})
