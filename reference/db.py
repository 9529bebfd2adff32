"""SQLite storage: one lock-guarded connection in WAL mode, schema created on start.

All statements run under one re-entrant lock, so the database is safe to use from the event loop and from
worker threads at the same time, and ``transaction()`` gives atomic read-modify-write sequences.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    tier TEXT,
    sub_status TEXT NOT NULL,
    sub_source TEXT,
    sub_expires_at REAL,
    sub_auto_renew INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE TABLE IF NOT EXISTS channels (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    channel_type TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    name TEXT,
    is_active INTEGER NOT NULL DEFAULT 1,
    phone_number_id TEXT,
    phone_number TEXT,
    waba_id TEXT,
    ig_account_id TEXT,
    ig_username TEXT,
    page_id TEXT,
    access_token TEXT NOT NULL,
    token_expires_at REAL,
    token_refresh_lease REAL,           -- no refresh attempt before this time (lease / retry back-off)
    connected_at REAL NOT NULL,
    deactivated_at REAL,
    webhook_url TEXT,
    webhook_secret TEXT,
    webhook_events TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS channels_by_account ON channels(account_id);
CREATE INDEX IF NOT EXISTS channels_by_asset ON channels(channel_type, asset_id);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    direction TEXT NOT NULL,            -- out | in
    kind TEXT NOT NULL,                 -- text | media | template | unsupported ...
    peer TEXT NOT NULL,                 -- recipient (out) or sender (in)
    peer_name TEXT,
    text TEXT,
    meta_request TEXT,                  -- out: the JSON body sent to Meta (replayed on retry)
    meta_message_id TEXT,
    status TEXT NOT NULL,               -- out: queued|accepted|sent|delivered|read|failed ; in: received
    error TEXT,
    error_code INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    deadline_at REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    data TEXT                           -- in: normalised event data (JSON)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_meta_id
    ON messages(channel_id, direction, meta_message_id) WHERE meta_message_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_due ON messages(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS messages_peer ON messages(channel_id, direction, peer);
CREATE TABLE IF NOT EXISTS message_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    attempt_no INTEGER NOT NULL,
    at REAL NOT NULL,
    outcome TEXT NOT NULL,              -- accepted | transient | permanent
    http_status INTEGER,
    error_code INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT,
    event TEXT NOT NULL,
    body BLOB NOT NULL,                 -- serialised once; every attempt sends these exact bytes
    state TEXT NOT NULL,                -- held | pending | delivered | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    deadline_at REAL,
    created_at REAL NOT NULL,
    delivered_at REAL,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_by_account ON deliveries(account_id, state);
CREATE INDEX IF NOT EXISTS deliveries_by_message ON deliveries(message_id);
CREATE TABLE IF NOT EXISTS delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL,
    attempt_no INTEGER NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    url TEXT,
    http_status INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS redirects (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    uri_pattern TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS redirects_by_key ON redirects(api_key_id);
CREATE TABLE IF NOT EXISTS setup_sessions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    channel_type TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    completed_at REAL
);
CREATE TABLE IF NOT EXISTS exchange_codes (
    code_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    asset TEXT NOT NULL,                -- JSON: what the OAuth callback found (channel type, ids, token)
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT,
    kind TEXT NOT NULL,
    mime_type TEXT,
    file_size INTEGER,
    filename TEXT,
    sha256 TEXT,
    content BLOB,
    error TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS inbound_media_jobs (   -- Pro media whose download (then relay) is still to run
    message_id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    item TEXT NOT NULL,                 -- JSON: the parsed inbound message (media id / attachment URL ...)
    state TEXT NOT NULL,                -- pending | running
    next_attempt_at REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS profile_cache (
    channel_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    profile TEXT,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE TABLE IF NOT EXISTS templates (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    meta_template_id TEXT,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    parameter_format TEXT NOT NULL,
    components TEXT NOT NULL,
    edit_log TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS templates_by_channel ON templates(channel_id);
CREATE TABLE IF NOT EXISTS template_name_locks (
    waba_id TEXT NOT NULL,
    name TEXT NOT NULL,
    until REAL NOT NULL,
    PRIMARY KEY (waba_id, name)
);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    message_id TEXT,
    channel_id TEXT,
    text TEXT NOT NULL
);
"""


class Database:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.executescript(SCHEMA)
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Run several statements atomically (nested calls join the outer transaction)."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def journal_mode(self) -> str:
        row = self.one("PRAGMA journal_mode")
        return str(row[0]) if row else ""

    def close(self) -> None:
        with self._lock:
            self._conn.close()
