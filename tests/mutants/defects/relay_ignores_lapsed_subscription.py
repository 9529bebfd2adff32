"""Keeps relaying webhooks after the subscription lapsed (expired, canceled, none, trial ended).

The relay service checks the account as stored, not as of now: neither the stored status nor a passed
expires_at holds the delivery back.
"""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("SUB-INACTIVE-NO-RELAY", "SUB-LAPSE", "TIER-TRIAL-END-BLOCKS")


class _AlwaysActive:
    def __init__(self, accounts) -> None:
        self._accounts = accounts

    def __getattr__(self, name):
        return getattr(self._accounts, name)

    def effective(self, account):
        return dataclasses.replace(account, sub_status="active")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class RelayRegardless(RelayService):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.accounts = _AlwaysActive(self.accounts)

    replace_component(reference.app, "RelayService", RelayRegardless)
