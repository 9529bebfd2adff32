"""Lists at most the first 20 channels of an account (an undocumented page size), total included."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-LIST",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.channels import ChannelRepository

    class FirstPage(ChannelRepository):
        def list_for_account(self, account_id):
            return super().list_for_account(account_id)[:20]

    replace_component(reference.app, "ChannelRepository", FirstPage)
