"""Sends Messenger and Instagram videos as 'file' attachments: the attachment type map lumps video with document."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-OK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.sending import media_body

    def video_as_file(channel, recipient, media_type, url, caption, filename):
        body = media_body(channel, recipient, media_type, url, caption, filename)
        if channel.channel_type != "whatsapp" and media_type == "video":
            body["message"]["attachment"]["type"] = "file"
        return body

    replace_component(reference.api.v1, "media_body", video_as_file)
