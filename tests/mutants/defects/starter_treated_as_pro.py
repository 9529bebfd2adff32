"""Treats an active Starter account as Pro: media sending, templates and template sends are not gated.

The account repository reports the tier of every active account as "pro".
"""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("TIER-SEND-MEDIA-PRO", "TIER-TEMPLATES-PRO", "TIER-SEND-TEMPLATE-PRO")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.accounts import AccountRepository

    class EveryoneIsPro(AccountRepository):
        def effective(self, account):
            account = super().effective(account)
            return dataclasses.replace(account, tier="pro") if account.sub_status == "active" else account

    replace_component(reference.app, "AccountRepository", EveryoneIsPro)
