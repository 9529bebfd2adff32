"""A WhatsApp voice note gets media.kind "audio": Meta's audio.voice flag is ignored."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-VOICE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import dataclasses

    import reference.app
    from reference.media import MediaService

    class VoiceBlind(MediaService):
        async def handle(self, channel, message, item):
            media = {k: v for k, v in (item.media or {}).items() if k != "voice"}
            return await super().handle(channel, message, dataclasses.replace(item, media=media))

    replace_component(reference.app, "MediaService", VoiceBlind)
