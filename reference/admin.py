"""The reference's operator path: create an account at a tier / subscription state and mint its API key.

A production Fiwano has an admin path for this (staff provisioning an Enterprise deal, a support desk); the
reference's is this module, used by ``fiwano-conformance reference admin create-account``. It works on the
reference's SQLite database directly, never through the harness API, so a reference started WITHOUT test
mode can be given keys of accounts in every state (the self-test of the simulated level does exactly
that). A running reference picks the new account and key up on their first use.
"""

from __future__ import annotations

from dataclasses import dataclass

import contract
from reference.clock import RealClock
from reference.db import Database
from reference.repos.accounts import SOURCES, SUBSCRIPTION_STATUSES, TIERS, AccountRepository, ApiKeyRepository


@dataclass(frozen=True)
class CreatedAccount:
    account_id: str
    key_id: str
    api_key: str
    tier: str | None
    subscription_status: str
    source: str | None


def create_account(db_path: str, tier: str | None = "pro", subscription_status: str = "active",
                   source: str | None = None, keys: int = 1, profile: str = "default") -> list[CreatedAccount]:
    """Create one account in the given state with ``keys`` API keys (the plain keys are returned once)."""
    if tier is not None and tier not in TIERS:
        raise ValueError(f"tier must be one of {', '.join(TIERS)}, got {tier!r}")
    if subscription_status not in SUBSCRIPTION_STATUSES:
        raise ValueError(f"subscription must be one of {', '.join(SUBSCRIPTION_STATUSES)}, got {subscription_status!r}")
    if source is not None and source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    if keys < 1:
        raise ValueError("an account needs at least one key")
    numbers = contract.load_profile(profile)
    db = Database(db_path)
    try:
        clock = RealClock()
        account = AccountRepository(db, clock, period_days=numbers["subscription_period_days"]).create(
            tier, subscription_status, source, numbers["trial_days"])
        repo = ApiKeyRepository(db, clock)
        created = []
        for _ in range(keys):
            key, plain = repo.issue(account.id)
            created.append(CreatedAccount(account.id, key.id, plain, account.tier, account.sub_status,
                                          account.sub_source))
        return created
    finally:
        db.close()
