"""A refused token refresh is only logged: the channel stays active with a token Meta no longer accepts."""

from __future__ import annotations

REQUIREMENTS = ("TOKEN-REFRESH-FAIL-INACTIVE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService
    from reference.oauth import OAuthError

    class KeepsDeadChannels(ChannelService):
        async def refresh_token(self, channel, oauth):
            try:
                token, expires_in = await oauth.extend(channel.access_token)
            except OAuthError:
                return
            self.channels.set_token(channel.id, token, self.clock.now() + (expires_in or self.token_lifetime))

    replace_component(reference.app, "ChannelService", KeepsDeadChannels)
