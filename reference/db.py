"""SQLite storage: one lock-guarded connection in WAL mode, schema created on start.

All statements run under one re-entrant lock, so the database is safe to use from the event loop and from
worker threads at the same time, and ``transaction()`` gives atomic read-modify-write sequences.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

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
CREATE TABLE IF NOT EXISTS channel_health (  -- profile fiwano-2026-10: channels Meta refuses access to
    channel_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,               -- Meta's error (JSON: code, subcode, message)
    since REAL NOT NULL                 -- when it was first detected
);
CREATE TABLE IF NOT EXISTS account_slots (   -- profile fiwano-2026-10: channel slots of an account's plan
    account_id TEXT NOT NULL,
    channel_type TEXT NOT NULL,
    slots INTEGER NOT NULL,
    PRIMARY KEY (account_id, channel_type)
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
        self._checkpointer: threading.Thread | None = None
        if self.path != ":memory:":
            self._start_checkpointer()
        self._group_loop: asyncio.AbstractEventLoop | None = None
        self._group_queue: list[tuple[Callable[[], Any], asyncio.Future]] = []
        self._watched: dict[str, int] = {}  # table name -> writes seen (for read caches, see write_count)

    # WAL checkpoints ---------------------------------------------------------------------------------------
    CHECKPOINT_EVERY_SECONDS = 0.5
    AUTOCHECKPOINT_PAGES = 20_000  # the safety net if the checkpointer thread cannot keep up or stops

    def _start_checkpointer(self) -> None:
        """Checkpoint the WAL from a thread with its own connection, not in the committing call.

        SQLite runs an automatic checkpoint inside the COMMIT that pushes the WAL past 1 000 pages: it copies
        the pages back into the database file and fsyncs (synchronous=NORMAL), blocking the event loop for
        several milliseconds several times a second under load. A PASSIVE checkpoint from another connection
        never blocks readers or writers; the loop's connection keeps a far larger automatic threshold as a
        safety net. Durability is unchanged: a commit is as durable as before (WAL, synchronous=NORMAL).
        """
        with self._lock:
            self._conn.execute(f"PRAGMA wal_autocheckpoint={self.AUTOCHECKPOINT_PAGES}")
        ref = weakref.ref(self)
        path, every = self.path, self.CHECKPOINT_EVERY_SECONDS
        stop = self._checkpoint_stop = threading.Event()

        def run() -> None:
            try:
                conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=0)
            except sqlite3.Error:
                return
            try:
                while not stop.wait(every):
                    if ref() is None:
                        return
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.Error:  # busy or gone: try again later (or stop when closed)
                        continue
            finally:
                conn.close()

        self._checkpointer = threading.Thread(target=run, name="sqlite-checkpointer", daemon=True)
        self._checkpointer.start()

    def write_count(self, table: str) -> int:
        """How many statements that may have written ``table`` ran so far (a read cache keyed on this number
        is never stale: any INSERT/UPDATE/DELETE naming the table moves it, whoever runs it)."""
        if table not in self._watched:
            with self._lock:
                self._watched.setdefault(table, 0)
        return self._watched[table]

    def _note_rollback(self) -> None:
        # a rolled-back write may have been read (and cached) before the rollback: move every counter
        for table in self._watched:
            self._watched[table] += 1

    def _note_write(self, sql: str) -> None:
        if self._watched and not sql.lstrip()[:6].upper() == "SELECT":
            for table in self._watched:
                if table in sql:
                    self._watched[table] += 1

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
                    try:
                        self._conn.execute("ROLLBACK")
                    finally:
                        self._note_rollback()
                raise
            else:
                self._depth -= 1
                if outer:
                    self._conn.execute("COMMIT")

    async def group(self, work: Callable[[], T]) -> T:
        """Run ``work()`` (synchronous statements) atomically and return once it is committed.

        Calls made during one turn of the event loop share one transaction (group commit): each runs in its
        own savepoint, so one that raises is rolled back alone and re-raised to its caller, and nobody gets
        an answer before the COMMIT that makes their writes durable. Nothing else can interleave: the group
        runs in one synchronous callback under the database lock. Saves one commit per caller under load
        (docs/benchmarks.md); with a single caller it is an ordinary transaction one loop turn later.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        if self._group_loop is not loop:  # a new event loop (tests): start a fresh queue
            self._group_loop, self._group_queue = loop, []
        self._group_queue.append((work, future))
        if len(self._group_queue) == 1:
            loop.call_soon(self._run_group)
        return await future

    def _run_group(self) -> None:
        queue, self._group_queue = self._group_queue, []
        if len(queue) == 1:  # the usual case at low rates: the transaction alone isolates it, no savepoint needed
            self._run_one(*queue[0])
            return
        outcomes: list[tuple[asyncio.Future, Any, BaseException | None]] = []
        try:
            with self.transaction():
                for work, future in queue:
                    self._conn.execute("SAVEPOINT fiwano_group")
                    try:
                        value = work()
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                        self._conn.execute("ROLLBACK TO fiwano_group")
                        self._conn.execute("RELEASE fiwano_group")
                        self._note_rollback()
                        outcomes.append((future, None, exc))
                    else:
                        self._conn.execute("RELEASE fiwano_group")
                        outcomes.append((future, value, None))
        except BaseException as exc:  # noqa: BLE001 - the COMMIT (or BEGIN) failed: nothing of the group holds
            for _work, future in queue:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, value, error in outcomes:
            if future.done():  # the caller was cancelled meanwhile; its writes are committed all the same
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    def _run_one(self, work: Callable[[], Any], future: asyncio.Future) -> None:
        """A group of one: ``work()`` in a plain transaction, with no savepoint, since a failure rolls back the
        whole transaction, which holds nothing else (7 statements per send instead of 11)."""
        try:
            with self.transaction():
                value = work()
        except BaseException as exc:  # noqa: BLE001 - the work, the BEGIN or the COMMIT failed: handed to the caller
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():  # the caller was cancelled meanwhile; its writes are committed all the same
            future.set_result(value)

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        with self._lock:
            try:
                return self._conn.execute(sql, params).rowcount
            finally:
                self._note_write(sql)

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
        stop = getattr(self, "_checkpoint_stop", None)
        if stop is not None:
            stop.set()
        with self._lock:
            self._conn.close()
