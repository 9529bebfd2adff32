"""Every PATCH without webhook_secret generates a new secret for a channel with a webhook_url."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("WEBHOOK-SECRET-KEPT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class Regenerates(ChannelService):
        def configure_webhook(self, channel, fields):
            if fields.get("webhook_secret") is None:
                channel = dataclasses.replace(channel, webhook_secret=None)
            return super().configure_webhook(channel, fields)

    replace_component(reference.app, "ChannelService", Regenerates)
