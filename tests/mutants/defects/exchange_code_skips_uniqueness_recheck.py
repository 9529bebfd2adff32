"""exchange-code does not re-check that the Meta account is free (only the OAuth callback did): it is taken twice."""

from __future__ import annotations

REQUIREMENTS = ("CAP-META-ACCOUNT-UNIQUE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class _NoHolderLookup:
        """The service's channel repository, minus the lookup of the asset's active holders."""

        def __init__(self, repo) -> None:
            self._repo = repo

        def __getattr__(self, name):
            return getattr(self._repo, name)

        def find_by_asset(self, channel_type, asset_id, *, active_only=True):
            return [] if active_only else self._repo.find_by_asset(channel_type, asset_id, active_only=False)

    class TrustsTheCallback(ChannelService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.channels = _NoHolderLookup(self.channels)

    replace_component(reference.app, "ChannelService", TrustsTheCallback)
