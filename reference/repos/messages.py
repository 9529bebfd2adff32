"""Messages, outbound and inbound, with our UUID <-> Meta id mapping and the send-retry queue."""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from reference.clock import Clock
from reference.db import Database
from fiwano_conformance.shared import json_read

# Outbound status order; a status never moves backwards ("failed" is outside the order).
STATUS_RANK = {"queued": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4}


@dataclass
class Message:
    id: str
    account_id: str
    channel_id: str
    direction: str
    kind: str
    peer: str
    peer_name: str | None
    text: str | None
    meta_request: dict[str, Any] | None
    meta_message_id: str | None
    status: str
    error: str | None
    error_code: int | None
    attempts: int
    next_attempt_at: float | None
    deadline_at: float | None
    created_at: float
    updated_at: float
    data: dict[str, Any] | None


def _message(row: Any) -> Message:
    values = dict(row)
    values["meta_request"] = json.loads(values["meta_request"]) if values["meta_request"] else None
    values["data"] = json.loads(values["data"]) if values["data"] else None
    return Message(**values)


class MessageRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, message_id: str) -> Message | None:
        row = self.db.one("SELECT * FROM messages WHERE id = ?", (message_id,))
        return _message(row) if row else None

    def create_outbound(self, *, account_id: str, channel_id: str, kind: str, recipient: str, text: str | None,
                        meta_request: dict[str, Any], deadline_at: float) -> Message:
        now = self.clock.now()
        message_id = str(uuid.uuid4())
        stored = json.dumps(meta_request)
        self.db.execute(
            "INSERT INTO messages (id, account_id, channel_id, direction, kind, peer, text, meta_request, status,"
            " attempts, deadline_at, created_at, updated_at) VALUES (?, ?, ?, 'out', ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
            (message_id, account_id, channel_id, kind, recipient, text, stored, deadline_at, now, now))
        # the row as just written (what get() would read back, without the second statement)
        return Message(id=message_id, account_id=account_id, channel_id=channel_id, direction="out", kind=kind,
                       peer=recipient, peer_name=None, text=text, meta_request=json_read.loads_text(stored),
                       meta_message_id=None, status="queued", error=None, error_code=None, attempts=0,
                       next_attempt_at=None, deadline_at=deadline_at, created_at=now, updated_at=now, data=None)

    def record_attempt(self, message_id: str, attempt_no: int, outcome: str, http_status: int | None,
                       error_code: int | None, error: str | None) -> None:
        self.db.execute(
            "INSERT INTO message_attempts (message_id, attempt_no, at, outcome, http_status, error_code, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message_id, attempt_no, self.clock.now(), outcome, http_status, error_code, error))

    def attempts_of(self, message_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.all(
            "SELECT * FROM message_attempts WHERE message_id = ? ORDER BY attempt_no", (message_id,))]

    def mark_accepted(self, message_id: str, meta_message_id: str | None, attempts: int) -> None:
        self.db.execute(
            "UPDATE messages SET status = 'accepted', meta_message_id = ?, attempts = ?, next_attempt_at = NULL,"
            " error = NULL, error_code = NULL, updated_at = ? WHERE id = ? AND status IN ('queued', 'sending')",
            (meta_message_id, attempts, self.clock.now(), message_id))

    def mark_queued(self, message_id: str, attempts: int, next_attempt_at: float, error: str | None,
                    error_code: int | None) -> None:
        self.db.execute(
            "UPDATE messages SET status = 'queued', attempts = ?, next_attempt_at = ?, error = ?, error_code = ?,"
            " updated_at = ? WHERE id = ?",
            (attempts, next_attempt_at, error, error_code, self.clock.now(), message_id))

    def mark_failed(self, message_id: str, attempts: int, error: str | None, error_code: int | None) -> None:
        self.db.execute(
            "UPDATE messages SET status = 'failed', attempts = ?, next_attempt_at = NULL, error = ?, error_code = ?,"
            " updated_at = ? WHERE id = ?",
            (attempts, error, error_code, self.clock.now(), message_id))

    def claim_due(self, now: float, limit: int = 50) -> list[Message]:
        """Atomically move due queued messages to 'sending' and return them."""
        with self.db.transaction():
            rows = self.db.all(
                "SELECT * FROM messages WHERE direction = 'out' AND status = 'queued' AND next_attempt_at IS NOT NULL"
                " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?", (now, limit))
            for row in rows:
                self.db.execute("UPDATE messages SET status = 'sending', updated_at = ? WHERE id = ?",
                                (now, row["id"]))
        return [_message(row) for row in rows]

    def release_stuck_sending(self) -> None:
        """On start: attempts interrupted by a crash go back to the queue."""
        self.db.execute("UPDATE messages SET status = 'queued' WHERE status = 'sending'")

    def interrupted_first_attempts(self) -> list[Message]:
        """Outbound rows whose first Meta attempt was in flight when the process stopped: still 'queued' with
        no attempt recorded and no next attempt planned. Only meaningful on start, before any send runs."""
        rows = self.db.all("SELECT * FROM messages WHERE direction = 'out' AND status = 'queued'"
                           " AND next_attempt_at IS NULL ORDER BY created_at")
        return [_message(row) for row in rows]

    def next_due_at(self) -> float | None:
        row = self.db.one("SELECT MIN(next_attempt_at) FROM messages WHERE status = 'queued'"
                          " AND next_attempt_at IS NOT NULL")
        return row[0] if row else None

    # inbound ---------------------------------------------------------------------------------------------
    def save_inbound(self, *, account_id: str, channel_id: str, kind: str, sender: str, sender_name: str | None,
                     text: str | None, meta_message_id: str, data: dict[str, Any]) -> Message | None:
        """Save an inbound message; None when Meta already delivered it (dedupe on its id)."""
        now = self.clock.now()
        message_id = str(uuid.uuid4())
        try:
            self.db.execute(
                "INSERT INTO messages (id, account_id, channel_id, direction, kind, peer, peer_name, text,"
                " meta_message_id, status, created_at, updated_at, data)"
                " VALUES (?, ?, ?, 'in', ?, ?, ?, ?, ?, 'received', ?, ?, ?)",
                (message_id, account_id, channel_id, kind, sender, sender_name, text, meta_message_id, now, now,
                 json.dumps(data)))
        except sqlite3.IntegrityError:
            return None
        return self.get(message_id)

    def update_inbound_data(self, message_id: str, data: dict[str, Any]) -> None:
        self.db.execute("UPDATE messages SET data = ? WHERE id = ?", (json.dumps(data), message_id))

    # echoes (profile fiwano-2026-10) ---------------------------------------------------------------------
    def save_echo(self, *, account_id: str, channel_id: str, peer: str, text: str | None, meta_message_id: str,
                  data: dict[str, Any]) -> Message | None:
        """Save a message the business sent outside the API (direction ``echo``, status ``accepted``, so that
        its delivered/read statuses advance it); None when Meta already delivered that echo."""
        now = self.clock.now()
        message_id = str(uuid.uuid4())
        try:
            self.db.execute(
                "INSERT INTO messages (id, account_id, channel_id, direction, kind, peer, text, meta_message_id,"
                " status, created_at, updated_at, data) VALUES (?, ?, ?, 'echo', 'echo', ?, ?, ?, 'accepted', ?, ?, ?)",
                (message_id, account_id, channel_id, peer, text, meta_message_id, now, now, json.dumps(data)))
        except sqlite3.IntegrityError:
            return None
        return self.get(message_id)

    def find_echo_by_meta_id(self, channel_id: str, meta_message_id: str) -> Message | None:
        row = self.db.one("SELECT * FROM messages WHERE channel_id = ? AND direction = 'echo' AND meta_message_id = ?",
                          (channel_id, meta_message_id))
        return _message(row) if row else None

    # statuses --------------------------------------------------------------------------------------------
    def find_outbound_by_meta_id(self, channel_id: str, meta_message_id: str) -> Message | None:
        row = self.db.one("SELECT * FROM messages WHERE channel_id = ? AND direction = 'out' AND meta_message_id = ?",
                          (channel_id, meta_message_id))
        return _message(row) if row else None

    def outbound_to_peer(self, channel_id: str, peer: str, until: float | None = None) -> list[Message]:
        sql = ("SELECT * FROM messages WHERE channel_id = ? AND direction = 'out' AND peer = ?"
               " AND status IN ('accepted', 'sent', 'delivered')")
        params: list[Any] = [channel_id, peer]
        if until is not None:
            sql += " AND created_at <= ?"
            params.append(until)
        return [_message(r) for r in self.db.all(sql + " ORDER BY created_at", tuple(params))]

    def advance_status(self, message_id: str, status: str, error: str | None = None,
                       error_code: int | None = None) -> bool:
        """Move to ``status`` if it is further along (or 'failed' from a non-final state); True if changed."""
        with self.db.transaction():
            row = self.db.one("SELECT status FROM messages WHERE id = ?", (message_id,))
            if row is None:
                return False
            current = row["status"]
            if status == "failed":
                if current in ("failed", "read", "delivered"):
                    return False
            elif current == "failed" or STATUS_RANK.get(current, -1) >= STATUS_RANK[status]:
                return False
            self.db.execute("UPDATE messages SET status = ?, error = COALESCE(?, error),"
                            " error_code = COALESCE(?, error_code), updated_at = ? WHERE id = ?",
                            (status, error, error_code, self.clock.now(), message_id))
            return True
