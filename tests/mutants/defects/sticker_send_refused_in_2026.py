"""Profile fiwano-2026-10: send-media still knows no media_type "sticker" (the v1 media types only): every sticker
send is refused with 422."""

from __future__ import annotations

REQUIREMENTS = ("SEND-STICKER",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    def unknown(channel_type, recipient, media_url, sticker_id):
        raise ValueError("media_type must be one of image, audio, video, document")

    replace_component(reference.v2026, "sticker_request", unknown)
