"""A paddle subscription canceled by the customer (auto_renew off) is canceled at once, not at expires_at."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("SUB-CANCEL-AT-PERIOD-END",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.accounts import AccountRepository

    class CancelNow(AccountRepository):
        def effective(self, account):
            account = super().effective(account)
            if account.sub_status == "active" and account.sub_source == "paddle" and not account.sub_auto_renew:
                return dataclasses.replace(account, sub_status="canceled")
            return account

    replace_component(reference.app, "AccountRepository", CancelNow)
