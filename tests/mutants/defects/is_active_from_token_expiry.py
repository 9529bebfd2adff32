"""is_active is derived from the token (true while token_expires_at is ahead), so deleted or revoked channels still show true."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-IS-ACTIVE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class ActiveWhileTokenValid(ChannelService):
        def view(self, channel):
            view = super().view(channel)
            view["is_active"] = channel.token_expires_at is None or channel.token_expires_at > self.clock.now()
            return view

    replace_component(reference.app, "ChannelService", ActiveWhileTokenValid)
