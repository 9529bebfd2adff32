"""Treats every Enterprise license as active (renewals are handled out of band, so the status is ignored):
an expired or canceled Enterprise account can still send."""

from __future__ import annotations

REQUIREMENTS = ("SUB-INACTIVE-402",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import dataclasses

    import reference.app
    from reference.repos.accounts import Account, AccountRepository

    class EnterpriseForever(AccountRepository):
        def effective(self, account: Account) -> Account:
            account = super().effective(account)
            if account.sub_source == "enterprise" and account.sub_status != "active":
                return dataclasses.replace(account, sub_status="active")
            return account

    replace_component(reference.app, "AccountRepository", EnterpriseForever)
