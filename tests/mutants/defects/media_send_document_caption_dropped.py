"""Drops the caption of WhatsApp documents: only image and video captions reach Meta."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-CAPTION-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.sending import media_body

    def no_document_caption(channel, recipient, media_type, url, caption, filename):
        return media_body(channel, recipient, media_type, url, caption if media_type != "document" else None,
                          filename)

    replace_component(reference.api.v1, "media_body", no_document_caption)
