"""DELETE of a channel unsubscribes its WABA/Page even while another active channel still uses it."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-DELETE-KEEP-SHARED-WABA", "CHANNEL-DELETE-KEEP-SHARED-PAGE")


def apply() -> None:
    import reference.app
    from reference.repos.channels import ChannelRepository

    class NoSharing(ChannelRepository):
        def others_using_resource(self, channel):
            return []

    reference.app.ChannelRepository = NoSharing
