"""The caption of a WhatsApp document is dropped: captions are read only for images and videos."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-CAPTION",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class ImageVideoCaptionsOnly(MediaService):
        async def handle(self, channel, message, item):
            data = await super().handle(channel, message, item)
            if data.get("type") not in ("image", "video"):
                data.pop("caption", None)
            return data

    replace_component(reference.app, "MediaService", ImageVideoCaptionsOnly)
