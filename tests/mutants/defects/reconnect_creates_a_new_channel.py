"""Profile fiwano-2026-10: connecting the Meta account of a deleted channel again creates a new channel (a new
channel_id, no webhook settings) instead of reactivating the old one."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-RECONNECT-INACTIVE-IN-PLACE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.repos.channels import ChannelRepository

    def create_instead(self, channel_id, *, name, access_token, token_expires_at, **identifiers):
        old = self.get(channel_id)
        return self.create(account_id=old.account_id, channel_type=old.channel_type, asset_id=old.asset_id, name=name,
                           access_token=access_token, token_expires_at=token_expires_at,
                           **{k: v for k, v in identifiers.items() if v is not None})

    replace_component(ChannelRepository, "reactivate", create_instead)
