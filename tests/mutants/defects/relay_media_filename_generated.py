"""Every media gets a generated filename (<media_id>.<ext>), not only documents their original one."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-FILENAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import mimetypes

    import reference.app
    from reference.media import MediaService

    class NamingMedia(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            media = data.get("media")
            if isinstance(media, dict) and media.get("filename") is None:
                mime = (media.get("mime_type") or "").split(";")[0].strip()
                media["filename"] = f"{media['media_id']}{mimetypes.guess_extension(mime) or '.bin'}"
            return data

    replace_component(reference.app, "MediaService", NamingMedia)
