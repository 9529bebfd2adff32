"""Ends the Pro trial 5 s after its 7 days: sending still works a few seconds after the trial ended."""

from __future__ import annotations

REQUIREMENTS = ("TIER-TRIAL", "TIER-TRIAL-END-BLOCKS")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.repos.accounts as accounts

    original = accounts.subscription_fields

    def late(status, tier, source, now, trial_days=7, *args, **kwargs):
        fields = original(status, tier, source, now, trial_days, *args, **kwargs)
        if fields.get("sub_source") == "trial" and fields.get("sub_expires_at"):
            fields["sub_expires_at"] += 5
        return fields

    replace_component(accounts, "subscription_fields", late)
