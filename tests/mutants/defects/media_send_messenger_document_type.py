"""Sends a Messenger document as an attachment of type 'document', which Messenger does not know (not 'file')."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-FB-FILE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.sending import media_body

    def document_type(channel, recipient, media_type, url, caption, filename):
        body = media_body(channel, recipient, media_type, url, caption, filename)
        if channel.channel_type == "facebook" and media_type == "document":
            body["message"]["attachment"]["type"] = "document"
        return body

    replace_component(reference.api.v1, "media_body", document_type)
