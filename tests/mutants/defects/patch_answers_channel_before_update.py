"""PATCH /channels/{id} answers the channel as it was loaded before the update (stale webhook_events)."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-PATCH-WEBHOOK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class StaleAnswer(ChannelService):
        def configure_webhook(self, channel, fields):
            _updated, shown = super().configure_webhook(channel, fields)
            return channel, shown

    replace_component(reference.app, "ChannelService", StaleAnswer)
