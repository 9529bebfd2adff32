"""A new account's Pro trial lasts 14 days instead of 7."""

from __future__ import annotations

REQUIREMENTS = ("TIER-TRIAL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.accounts import AccountRepository

    class LongTrial(AccountRepository):
        def create(self, tier, status, source=None, trial_days=7):
            return super().create(tier, status, source, trial_days * 2)

    replace_component(reference.app, "AccountRepository", LongTrial)
