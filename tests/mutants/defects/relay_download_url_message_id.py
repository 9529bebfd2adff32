"""media.download_url names the inbound message's id instead of the media_id it belongs to."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-DOWNLOAD-URL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class MessageIdUrl(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            media = data.get("media")
            if isinstance(media, dict) and media.get("download_url"):
                media["download_url"] = self.download_url(message.id)
            return data

    replace_component(reference.app, "MediaService", MessageIdUrl)
