"""Profile fiwano-2026-10: a WhatsApp sticker (a WebP media_url) reaches Meta as an image message, not as Meta's
sticker message."""

from __future__ import annotations

REQUIREMENTS = ("SEND-STICKER",)


def apply() -> None:
    from tests.mutants.seams import wrap

    import reference.v2026

    def make(sticker_request):
        def as_image(channel_type, recipient, media_url, sticker_id):
            request = sticker_request(channel_type, recipient, media_url, sticker_id)
            if channel_type == "whatsapp":
                request["type"] = "image"
                request["image"] = request.pop("sticker")
            return request
        return as_image

    wrap(reference.v2026, "sticker_request", make)
