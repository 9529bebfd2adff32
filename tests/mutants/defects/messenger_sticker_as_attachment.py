"""Profile fiwano-2026-10: a Messenger sticker goes to Meta as an image attachment carrying the sticker_id
(the shape of an inbound sticker) instead of the Send API's ``message.sticker_id``: Meta rejects it."""

from __future__ import annotations

REQUIREMENTS = ("SEND-STICKER",)


def apply() -> None:
    from tests.mutants.seams import wrap

    import reference.v2026

    def make(sticker_request):
        def as_attachment(channel_type, recipient, media_url, sticker_id):
            request = sticker_request(channel_type, recipient, media_url, sticker_id)
            if channel_type == "facebook":
                number = request["message"].pop("sticker_id")
                request["message"]["attachment"] = {"type": "image", "payload": {"sticker_id": number}}
            return request
        return as_attachment

    wrap(reference.v2026, "sticker_request", make)
