"""media.download_url is built even when the download from Meta failed (it points at a file that was never stored)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-DOWNLOAD-FAILED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class AlwaysUrl(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            media = data.get("media")
            if isinstance(media, dict) and media.get("download_url") is None:
                media["download_url"] = self.download_url(media["media_id"])
            return data

    replace_component(reference.app, "MediaService", AlwaysUrl)
