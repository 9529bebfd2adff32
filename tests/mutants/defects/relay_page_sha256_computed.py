"""media.sha256 on Instagram/Facebook is computed from the downloaded file instead of null."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-SHA256",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import hashlib

    import reference.app
    from reference.media import MediaService

    class HashingMedia(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            media = data.get("media")
            if channel.channel_type != "whatsapp" and isinstance(media, dict):
                stored = self.repo.get(media["media_id"])
                if stored is not None and stored.content is not None:
                    media["sha256"] = hashlib.sha256(stored.content).hexdigest()
            return data

    replace_component(reference.app, "MediaService", HashingMedia)
