"""Profile fiwano-2026-10: inbound stickers keep the v1 shape (WhatsApp type "sticker", no media.sticker on WhatsApp
and Messenger)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-STICKER-AS-IMAGE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.media import MediaService

    replace_component(MediaService, "_sticker_as_image", staticmethod(lambda channel_type, raw, data, media: None))
