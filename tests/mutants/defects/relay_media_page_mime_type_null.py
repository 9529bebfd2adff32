"""media.mime_type is null on Instagram/Facebook: only a mime_type in Meta's webhook is used, never the file's."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-PAYLOAD",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class WebhookMimeOnly(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            media = data.get("media")
            if channel.channel_type != "whatsapp" and isinstance(media, dict):
                media["mime_type"] = (item.media or {}).get("mime_type")
            return data

    replace_component(reference.app, "MediaService", WebhookMimeOnly)
