"""Inbound media on a Starter channel is downloaded and relayed like Pro: the inbound path never checks the tier."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("RELAY-UNSUPPORTED-UPGRADE",)


class _EveryTierIsPro:
    def __init__(self, accounts) -> None:
        self._accounts = accounts

    def __getattr__(self, name):
        return getattr(self._accounts, name)

    def effective(self, account):
        return dataclasses.replace(self._accounts.effective(account), tier="pro")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class TierBlindInbound(InboundService):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.accounts = _EveryTierIsPro(self.accounts)

    replace_component(reference.app, "InboundService", TierBlindInbound)
