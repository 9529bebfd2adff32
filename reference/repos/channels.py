"""Channels: one row per connected Meta asset (phone number, Instagram account or Page)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from reference.clock import Clock
from reference.crypto import new_id
from reference.db import Database
from fiwano_conformance.shared import json_read

EVENTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "whatsapp": ("message.received", "message.sent", "message.delivered", "message.read", "message.failed"),
    "instagram": ("message.received", "message.delivered", "message.read"),
    "facebook": ("message.received", "message.delivered", "message.read"),
}


@dataclass
class Channel:
    id: str
    account_id: str
    channel_type: str
    asset_id: str
    name: str | None
    is_active: bool
    phone_number_id: str | None
    phone_number: str | None
    waba_id: str | None
    ig_account_id: str | None
    ig_username: str | None
    page_id: str | None
    access_token: str
    token_expires_at: float | None
    connected_at: float
    deactivated_at: float | None
    webhook_url: str | None
    webhook_secret: str | None
    webhook_events: list[str] = field(default_factory=list)

    @property
    def subscription_resource(self) -> tuple[str, str] | None:
        """The Meta object whose subscribed_apps carries this channel's webhooks: ("waba"|"page", id)."""
        if self.channel_type == "whatsapp":
            return ("waba", self.waba_id) if self.waba_id else None
        if self.page_id:
            return ("page", self.page_id)
        if self.channel_type == "instagram" and self.ig_account_id:
            return ("ig", self.ig_account_id)
        return None

    def wants(self, event: str, events_by_type: dict[str, tuple[str, ...]] = EVENTS_BY_TYPE) -> bool:
        return event in self.webhook_events and event in events_by_type[self.channel_type]


_COLUMNS = ("id", "account_id", "channel_type", "asset_id", "name", "is_active", "phone_number_id", "phone_number",
            "waba_id", "ig_account_id", "ig_username", "page_id", "access_token", "token_expires_at",
            "connected_at", "deactivated_at", "webhook_url", "webhook_secret", "webhook_events")


def _channel(row) -> Channel:
    data = {name: row[name] for name in _COLUMNS}
    data["is_active"] = bool(data["is_active"])
    data["webhook_events"] = json_read.loads_text(data["webhook_events"] or "[]")  # orjson where it reads as json
    return Channel(**data)


class ChannelRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, channel_id: str) -> Channel | None:
        row = self.db.one("SELECT * FROM channels WHERE id = ?", (channel_id,))
        return _channel(row) if row else None

    def get_owned(self, account_id: str, channel_id: str) -> Channel | None:
        # the send path's lookup, cached until any statement writes the channels table (Database.write_count)
        writes = self.db.write_count("channels")
        cache = getattr(self, "_owned_cache", None)
        if cache is None or cache[0] != writes:
            cache = self._owned_cache = (writes, {})
        key = (account_id, channel_id)
        if key in cache[1]:
            return cache[1][key]
        row = self.db.one("SELECT * FROM channels WHERE id = ? AND account_id = ?", (channel_id, account_id))
        channel = _channel(row) if row else None
        if channel is not None and self.db.write_count("channels") == writes and len(cache[1]) < 100_000:
            cache[1][key] = channel
        return channel

    def list_for_account(self, account_id: str) -> list[Channel]:
        rows = self.db.all("SELECT * FROM channels WHERE account_id = ? ORDER BY connected_at, id", (account_id,))
        return [_channel(row) for row in rows]

    def find_by_asset(self, channel_type: str, asset_id: str, *, active_only: bool = True) -> list[Channel]:
        sql = "SELECT * FROM channels WHERE channel_type = ? AND asset_id = ?"
        if active_only:
            sql += " AND is_active = 1"
        return [_channel(row) for row in self.db.all(sql + " ORDER BY connected_at", (channel_type, asset_id))]

    def create(self, *, account_id: str, channel_type: str, asset_id: str, name: str | None, access_token: str,
               token_expires_at: float | None, phone_number_id: str | None = None, phone_number: str | None = None,
               waba_id: str | None = None, ig_account_id: str | None = None, ig_username: str | None = None,
               page_id: str | None = None) -> Channel:
        channel_id = new_id()
        self.db.execute(
            "INSERT INTO channels (id, account_id, channel_type, asset_id, name, is_active, phone_number_id,"
            " phone_number, waba_id, ig_account_id, ig_username, page_id, access_token, token_expires_at,"
            " connected_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (channel_id, account_id, channel_type, asset_id, name, phone_number_id, phone_number, waba_id,
             ig_account_id, ig_username, page_id, access_token, token_expires_at, self.clock.now()))
        channel = self.get(channel_id)
        assert channel is not None
        return channel

    def reactivate(self, channel_id: str, *, name: str | None, access_token: str, token_expires_at: float | None,
                   **identifiers: str | None) -> Channel:
        sets = ["is_active = 1", "deactivated_at = NULL", "name = ?", "access_token = ?", "token_expires_at = ?"]
        params: list = [name, access_token, token_expires_at]
        for column, value in identifiers.items():
            if column in _COLUMNS and value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        self.db.execute(f"UPDATE channels SET {', '.join(sets)} WHERE id = ?", (*params, channel_id))
        channel = self.get(channel_id)
        assert channel is not None
        return channel

    def update_webhook(self, channel_id: str, *, url: str | None, secret: str | None, events: list[str]) -> None:
        self.db.execute("UPDATE channels SET webhook_url = ?, webhook_secret = ?, webhook_events = ? WHERE id = ?",
                        (url, secret, json.dumps(events), channel_id))

    def deactivate(self, channel_id: str) -> None:
        self.db.execute("UPDATE channels SET is_active = 0, deactivated_at = ? WHERE id = ? AND is_active = 1",
                        (self.clock.now(), channel_id))

    def others_using_resource(self, channel: Channel) -> list[Channel]:
        """Active channels other than ``channel`` that rely on the same WABA or Page subscription."""
        resource = channel.subscription_resource
        if resource is None:
            return []
        kind, ident = resource
        if kind == "waba":
            rows = self.db.all("SELECT * FROM channels WHERE is_active = 1 AND id != ? AND channel_type = 'whatsapp'"
                               " AND waba_id = ?", (channel.id, ident))
        elif kind == "page":
            rows = self.db.all("SELECT * FROM channels WHERE is_active = 1 AND id != ?"
                               " AND channel_type IN ('instagram', 'facebook') AND page_id = ?", (channel.id, ident))
        else:
            rows = self.db.all("SELECT * FROM channels WHERE is_active = 1 AND id != ? AND channel_type = 'instagram'"
                               " AND ig_account_id = ?", (channel.id, ident))
        return [_channel(row) for row in rows]

    # token refresh ---------------------------------------------------------------------------------------
    def claim_refresh_due(self, now: float, refresh_before: float, lease_seconds: float) -> list[Channel]:
        # the scheduler asks on every wake-up; skip the scan (and its transaction) when nothing can be due:
        # a channel is due exactly when MAX(token_expires_at - refresh_before, lease or 0) <= now
        earliest = self.next_refresh_at(refresh_before)
        if earliest is None or earliest > now:
            return []
        with self.db.transaction():
            rows = self.db.all(
                "SELECT * FROM channels WHERE is_active = 1 AND token_expires_at IS NOT NULL"
                " AND token_expires_at - ? <= ? AND (token_refresh_lease IS NULL OR token_refresh_lease <= ?)"
                " LIMIT 20", (refresh_before, now, now))
            for row in rows:
                self.db.execute("UPDATE channels SET token_refresh_lease = ? WHERE id = ?",
                                (now + lease_seconds, row["id"]))
        return [_channel(row) for row in rows]

    def next_refresh_at(self, refresh_before: float) -> float | None:
        # depends on the channels table only: cached until a statement writes it (Database.write_count)
        writes = self.db.write_count("channels")
        cached = getattr(self, "_next_refresh_cache", None)
        if cached is not None and cached[0] == writes and cached[1] == refresh_before:
            return cached[2]
        value = self._next_refresh_at(refresh_before)
        if self.db.write_count("channels") == writes:
            self._next_refresh_cache = (writes, refresh_before, value)
        return value

    def _next_refresh_at(self, refresh_before: float) -> float | None:
        row = self.db.one("SELECT MIN(MAX(token_expires_at - ?, COALESCE(token_refresh_lease, 0))) FROM channels"
                          " WHERE is_active = 1 AND token_expires_at IS NOT NULL", (refresh_before,))
        return row[0] if row else None

    def set_token(self, channel_id: str, token: str, expires_at: float) -> None:
        self.db.execute("UPDATE channels SET access_token = ?, token_expires_at = ?, token_refresh_lease = NULL"
                        " WHERE id = ?", (token, expires_at, channel_id))
