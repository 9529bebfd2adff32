"""Accounts (with their subscription) and API keys. Only the SHA-256 hash of a key is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference.clock import Clock
from reference.crypto import hash_api_key, new_api_key, new_id
from reference.db import Database

SUBSCRIPTION_STATUSES = ("active", "expired", "canceled", "none")
TIERS = ("starter", "pro")
SOURCES = ("trial", "paddle", "enterprise")
DAY = 86400.0


@dataclass(frozen=True)
class Account:
    id: str
    tier: str | None
    sub_status: str
    sub_source: str | None
    sub_expires_at: float | None
    sub_auto_renew: bool

    @property
    def is_active(self) -> bool:
        return self.sub_status == "active"

    @property
    def is_pro(self) -> bool:
        return self.is_active and self.tier == "pro"


@dataclass(frozen=True)
class ApiKey:
    id: str
    account_id: str
    prefix: str


def _account(row: Any) -> Account:
    return Account(id=row["id"], tier=row["tier"], sub_status=row["sub_status"], sub_source=row["sub_source"],
                   sub_expires_at=row["sub_expires_at"], sub_auto_renew=bool(row["sub_auto_renew"]))


def subscription_fields(status: str, tier: str | None, source: str | None, now: float, trial_days: int,
                        period_days: int, auto_renew: bool | None = None,
                        expires_at: float | None = None) -> dict[str, Any]:
    """The stored subscription for a status, following the documented combinations.

    Defaults: an active Pro account without a source is a trial (the profile's ``trial_days``), an active Starter
    one a paddle subscription (a period of the profile's ``subscription_period_days``, auto-renewing); expired
    ended a day ago, canceled ends now.
    """
    if status == "none":
        return {"tier": None, "sub_status": "none", "sub_source": None, "sub_expires_at": None,
                "sub_auto_renew": 0}
    tier = tier or "pro"
    if source is None:
        source = "trial" if (status == "active" and tier == "pro") else "paddle"
    if expires_at is None:
        if status == "active":
            expires_at = now + (trial_days if source == "trial" else period_days) * DAY
        elif status == "canceled":
            expires_at = now
        else:  # expired
            expires_at = now - DAY
    renew = status == "active" and source == "paddle" and (auto_renew is None or auto_renew)
    return {"tier": tier, "sub_status": status, "sub_source": source, "sub_expires_at": expires_at,
            "sub_auto_renew": 1 if renew else 0}


class AccountRepository:
    """Accounts, read through a small cache (every write to ``accounts`` goes through this class)."""

    CACHE_MAX = 100_000

    def __init__(self, db: Database, clock: Clock, *, period_days: int) -> None:
        self.db = db
        self.clock = clock
        self.period_days = int(period_days)  # the profile's subscription_period_days (a paddle billing period)
        self._cache: dict[str, Account] = {}
        self._generation = 0  # bumped after every write: a read that raced a write is not cached

    def _forget(self, account_id: str) -> None:
        self._generation += 1
        self._cache.pop(account_id, None)

    def create(self, tier: str | None, status: str, source: str | None, trial_days: int) -> Account:
        now = self.clock.now()
        account_id = "acc_" + new_id()
        fields = subscription_fields(status, tier, source, now, trial_days, self.period_days)
        self.db.execute(
            "INSERT INTO accounts (id, tier, sub_status, sub_source, sub_expires_at, sub_auto_renew, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (account_id, fields["tier"], fields["sub_status"], fields["sub_source"], fields["sub_expires_at"],
             fields["sub_auto_renew"], now))
        account = self.get(account_id)
        assert account is not None
        return account

    def get(self, account_id: str) -> Account | None:
        cached = self._cache.get(account_id)
        if cached is not None:
            return cached
        generation = self._generation
        row = self.db.one("SELECT * FROM accounts WHERE id = ?", (account_id,))
        if not row:
            return None
        account = _account(row)
        if generation == self._generation:
            if len(self._cache) >= self.CACHE_MAX:
                self._cache.clear()
            self._cache[account_id] = account
        return account

    def set_subscription(self, account_id: str, tier: str | None, status: str, source: str | None,
                         trial_days: int, auto_renew: bool | None = None,
                         expires_at: float | None = None) -> Account | None:
        fields = subscription_fields(status, tier, source, self.clock.now(), trial_days, self.period_days, auto_renew,
                                     expires_at)
        count = self.db.execute(
            "UPDATE accounts SET tier = ?, sub_status = ?, sub_source = ?, sub_expires_at = ?, sub_auto_renew = ?"
            " WHERE id = ?",
            (fields["tier"], fields["sub_status"], fields["sub_source"], fields["sub_expires_at"],
             fields["sub_auto_renew"], account_id))
        self._forget(account_id)
        return self.get(account_id) if count else None

    def effective(self, account: Account) -> Account:
        """The account as of now: an active subscription past expires_at lapses to expired, unless it
        auto-renews (paddle), in which case the period rolls forward by ``period_days`` per renewal."""
        now = self.clock.now()
        if account.sub_status != "active" or account.sub_expires_at is None or account.sub_expires_at > now:
            return account
        if not account.sub_auto_renew:
            return Account(account.id, account.tier, "expired", account.sub_source, account.sub_expires_at, False)
        expires = account.sub_expires_at
        while expires <= now:
            expires += self.period_days * DAY
        self.db.execute("UPDATE accounts SET sub_expires_at = ? WHERE id = ? AND sub_expires_at = ?",
                        (expires, account.id, account.sub_expires_at))
        self._forget(account.id)
        return Account(account.id, account.tier, "active", account.sub_source, expires, True)


class ApiKeyRepository:
    """API keys; live keys are remembered after their first lookup (by hash), forgotten on revocation."""

    CACHE_MAX = 100_000

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[str, ApiKey] = {}
        self._generation = 0  # bumped after every revocation: a lookup that raced one is not cached

    def issue(self, account_id: str) -> tuple[ApiKey, str]:
        """Create a key; the plain key is returned once and never stored."""
        plain = new_api_key()
        key = ApiKey(id="key_" + new_id(), account_id=account_id, prefix=plain[:13])
        self.db.execute(
            "INSERT INTO api_keys (id, account_id, key_hash, key_prefix, created_at) VALUES (?, ?, ?, ?, ?)",
            (key.id, account_id, hash_api_key(plain), key.prefix, self.clock.now()))
        return key, plain

    def authenticate(self, plain: str) -> ApiKey | None:
        digest = hash_api_key(plain)
        cached = self._cache.get(digest)
        if cached is not None:
            return cached
        generation = self._generation
        row = self.db.one(
            "SELECT id, account_id, key_prefix FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (digest,))
        if not row:
            return None
        key = ApiKey(id=row["id"], account_id=row["account_id"], prefix=row["key_prefix"])
        if generation == self._generation:
            if len(self._cache) >= self.CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = key
        return key

    def revoke(self, key_id: str) -> bool:
        changed = self.db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                                  (self.clock.now(), key_id)) > 0
        self._generation += 1
        for digest in [d for d, k in list(self._cache.items()) if k.id == key_id]:
            self._cache.pop(digest, None)
        return changed or self.db.one("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)) is not None
