"""Profile fiwano-2026-10: connecting the Meta account of a channel again keeps its channel_id but drops its
webhook_url, webhook_secret and webhook_events."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-RECONNECT-ACTIVE-IN-PLACE",)


def apply() -> None:
    from tests.mutants.seams import wrap

    from reference.repos.channels import ChannelRepository

    def make(original):
        def reactivate(self, channel_id, **fields):
            original(self, channel_id, **fields)
            self.update_webhook(channel_id, url=None, secret=None, events=[])
            return self.get(channel_id)

        return reactivate

    wrap(ChannelRepository, "reactivate", make)
