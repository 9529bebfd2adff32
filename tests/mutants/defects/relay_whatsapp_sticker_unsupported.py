"""WhatsApp stickers are relayed as "unsupported": sticker is missing from the WhatsApp media types."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-TYPES-WA",)


def apply() -> None:
    import reference.inbound

    reference.inbound.WA_MEDIA_TYPES = tuple(t for t in reference.inbound.WA_MEDIA_TYPES if t != "sticker")
