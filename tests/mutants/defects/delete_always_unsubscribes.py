"""DELETE of a channel unsubscribes its WABA/Page even while another active channel still uses it."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-DELETE-KEEP-SHARED-WABA", "CHANNEL-DELETE-KEEP-SHARED-PAGE")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.channels import ChannelRepository

    class NoSharing(ChannelRepository):
        def others_using_resource(self, channel):
            return []

    replace_component(reference.app, "ChannelRepository", NoSharing)
