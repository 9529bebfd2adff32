"""Redirect URIs (per API key), setup sessions and one-time completion codes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

from reference.clock import Clock
from reference.crypto import new_id
from reference.db import Database


@dataclass(frozen=True)
class Redirect:
    id: str
    account_id: str
    api_key_id: str
    uri_pattern: str


@dataclass(frozen=True)
class SetupSession:
    id: str
    account_id: str
    api_key_id: str
    channel_type: str
    redirect_uri: str
    state: str
    created_at: float
    expires_at: float
    completed_at: float | None


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


class RedirectRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add(self, account_id: str, api_key_id: str, uri_pattern: str) -> Redirect:
        redirect = Redirect("redir_" + new_id(6), account_id, api_key_id, uri_pattern)
        self.db.execute("INSERT INTO redirects (id, account_id, api_key_id, uri_pattern, created_at)"
                        " VALUES (?, ?, ?, ?, ?)", (redirect.id, account_id, api_key_id, uri_pattern, self.clock.now()))
        return redirect

    def list_for_key(self, api_key_id: str) -> list[Redirect]:
        rows = self.db.all("SELECT * FROM redirects WHERE api_key_id = ? ORDER BY created_at, id", (api_key_id,))
        return [Redirect(r["id"], r["account_id"], r["api_key_id"], r["uri_pattern"]) for r in rows]

    def delete(self, api_key_id: str, redirect_id: str) -> bool:
        return self.db.execute("DELETE FROM redirects WHERE id = ? AND api_key_id = ?", (redirect_id, api_key_id)) > 0


class SetupRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create_session(self, account_id: str, api_key_id: str, channel_type: str, redirect_uri: str,
                       ttl_seconds: float) -> SetupSession:
        now = self.clock.now()
        session = SetupSession(new_id(), account_id, api_key_id, channel_type, redirect_uri, new_id(16), now,
                               now + ttl_seconds, None)
        self.db.execute(
            "INSERT INTO setup_sessions (id, account_id, api_key_id, channel_type, redirect_uri, state, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session.id, account_id, api_key_id, channel_type, redirect_uri, session.state, now, session.expires_at))
        return session

    def get_session(self, session_id: str) -> SetupSession | None:
        row = self.db.one("SELECT * FROM setup_sessions WHERE id = ?", (session_id,))
        if row is None:
            return None
        return SetupSession(row["id"], row["account_id"], row["api_key_id"], row["channel_type"], row["redirect_uri"],
                            row["state"], row["created_at"], row["expires_at"], row["completed_at"])

    def complete_session(self, session_id: str) -> bool:
        """Mark the session used; False if it was already completed (replay)."""
        return self.db.execute("UPDATE setup_sessions SET completed_at = ? WHERE id = ? AND completed_at IS NULL",
                               (self.clock.now(), session_id)) > 0

    def issue_code(self, session: SetupSession, code: str, asset: dict[str, Any], ttl_seconds: float) -> None:
        self.db.execute(
            "INSERT INTO exchange_codes (code_hash, session_id, account_id, api_key_id, asset, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code_hash(code), session.id, session.account_id, session.api_key_id, json.dumps(asset),
             self.clock.now() + ttl_seconds))

    def peek_code(self, code: str, account_id: str) -> dict[str, Any] | None:
        row = self.db.one("SELECT asset FROM exchange_codes WHERE code_hash = ? AND account_id = ? AND used_at IS NULL"
                          " AND expires_at > ?", (code_hash(code), account_id, self.clock.now()))
        return json.loads(row["asset"]) if row else None

    def consume_code(self, code: str, account_id: str) -> dict[str, Any] | None:
        """Atomically use a fresh code of this account; None if unknown, expired, used or foreign."""
        with self.db.transaction():
            row = self.db.one("SELECT asset FROM exchange_codes WHERE code_hash = ? AND account_id = ?"
                              " AND used_at IS NULL AND expires_at > ?", (code_hash(code), account_id, self.clock.now()))
            if row is None:
                return None
            self.db.execute("UPDATE exchange_codes SET used_at = ? WHERE code_hash = ?",
                            (self.clock.now(), code_hash(code)))
        return cast(dict[str, Any], json.loads(row["asset"]))
