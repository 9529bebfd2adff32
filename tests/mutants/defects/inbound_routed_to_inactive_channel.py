"""Inbound Meta webhooks are matched to a channel regardless of is_active, so deleted channels keep relaying."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-DELETE-NO-RELAY", "CHANNEL-INACTIVE-NO-RELAY")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class AnyChannel(InboundService):
        def channel_for(self, channel_type, asset_id):
            found = self.channels.find_by_asset(channel_type, asset_id, active_only=False)
            return found[-1] if found else None

    replace_component(reference.app, "InboundService", AnyChannel)
