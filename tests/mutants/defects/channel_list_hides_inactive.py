"""GET /channels lists only active channels: deleted (inactive) channels vanish from the list and from total."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-LIST",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.channels import ChannelRepository

    class ActiveOnlyListing(ChannelRepository):
        def list_for_account(self, account_id):
            return [c for c in super().list_for_account(account_id) if c.is_active]

    replace_component(reference.app, "ChannelRepository", ActiveOnlyListing)
