"""PATCH treats fields left out of the body as null: a PATCH of webhook_events alone clears webhook_url."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-PATCH-PARTIAL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class NullForAbsent(ChannelService):
        def configure_webhook(self, channel, fields):
            full = {"webhook_url": None, "webhook_secret": None, "webhook_events": None}
            full.update(fields)
            return super().configure_webhook(channel, full)

    replace_component(reference.app, "ChannelService", NullForAbsent)
