"""media.duration_ms is 0 instead of null for kinds without a duration (image, document, sticker)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-DURATION",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class ZeroDuration(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            media = data.get("media")
            if isinstance(media, dict) and media.get("duration_ms") is None:
                media["duration_ms"] = 0
            return data

    replace_component(reference.app, "MediaService", ZeroDuration)
