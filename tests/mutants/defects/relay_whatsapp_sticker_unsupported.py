"""WhatsApp stickers are relayed as "unsupported": sticker is missing from the WhatsApp media types."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-TYPES-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound

    replace_component(reference.inbound, "WA_MEDIA_TYPES", tuple(t for t in reference.inbound.WA_MEDIA_TYPES if t != "sticker"))
