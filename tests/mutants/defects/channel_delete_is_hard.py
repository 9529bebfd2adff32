"""DELETE /channels/{id} removes the channel row (hard delete): it is gone from GET and from the list."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-DELETE-SOFT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class HardDelete(ChannelService):
        async def deactivate(self, channel):
            updated = await super().deactivate(channel)
            self.channels.db.execute("DELETE FROM channels WHERE id = ?", (channel.id,))
            return updated

    replace_component(reference.app, "ChannelService", HardDelete)
