"""Customer webhook deliveries: the durable relay queue. A body is stored once and resent byte for byte."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference.clock import Clock
from reference.crypto import new_id
from reference.db import Database


@dataclass
class Delivery:
    id: str
    account_id: str
    channel_id: str
    message_id: str | None
    event: str
    body: bytes
    state: str
    attempts: int
    next_attempt_at: float | None
    deadline_at: float | None
    created_at: float
    delivered_at: float | None
    last_status: int | None
    last_error: str | None


# Events of one message reach the customer in the order they were created (delivered before read, even when
# both are emitted at once or the first one is being retried): a delivery waits while an earlier delivery of
# the same message is still on its way (pending, sending or held). One that failed for good no longer blocks.
_NOT_BEHIND = (
    " AND (d.message_id IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries AS e WHERE e.message_id = d.message_id"
    " AND e.channel_id = d.channel_id AND e.state IN ('pending', 'sending', 'held')"
    " AND (e.created_at < d.created_at OR (e.created_at = d.created_at AND e.rowid < d.rowid))))")


def _delivery(row) -> Delivery:
    values = dict(row)
    values["body"] = bytes(values["body"])
    return Delivery(**values)


class DeliveryRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create(self, *, account_id: str, channel_id: str, message_id: str | None, event: str, body: bytes,
               held: bool, deadline_seconds: float) -> Delivery:
        now = self.clock.now()
        delivery_id = "dlv_" + new_id()
        state = "held" if held else "pending"
        self.db.execute(
            "INSERT INTO deliveries (id, account_id, channel_id, message_id, event, body, state, attempts,"
            " next_attempt_at, deadline_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            (delivery_id, account_id, channel_id, message_id, event, body, state,
             None if held else now, None if held else now + deadline_seconds, now))
        delivery = self.get(delivery_id)
        assert delivery is not None
        return delivery

    def get(self, delivery_id: str) -> Delivery | None:
        row = self.db.one("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))
        return _delivery(row) if row else None

    def list(self, *, channel_id: str | None = None, account_id: str | None = None) -> list[Delivery]:
        sql, params = "SELECT * FROM deliveries WHERE 1 = 1", []
        if channel_id:
            sql += " AND channel_id = ?"
            params.append(channel_id)
        if account_id:
            sql += " AND account_id = ?"
            params.append(account_id)
        return [_delivery(r) for r in self.db.all(sql + " ORDER BY created_at, id", tuple(params))]

    def claim_due(self, now: float, limit: int = 50) -> list[Delivery]:
        with self.db.transaction():
            rows = self.db.all(
                "SELECT * FROM deliveries AS d WHERE state = 'pending' AND next_attempt_at <= ?" + _NOT_BEHIND +
                " ORDER BY next_attempt_at, created_at, rowid LIMIT ?", (now, limit))
            for row in rows:
                self.db.execute("UPDATE deliveries SET state = 'sending' WHERE id = ?", (row["id"],))
        return [_delivery(r) for r in rows]

    def release_stuck_sending(self) -> None:
        self.db.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'sending'")

    def next_due_at(self) -> float | None:
        row = self.db.one("SELECT MIN(next_attempt_at) FROM deliveries AS d WHERE state = 'pending'" + _NOT_BEHIND)
        return row[0] if row else None

    def record_attempt(self, delivery_id: str, attempt_no: int, started_at: float, finished_at: float,
                       url: str | None, http_status: int | None, error: str | None) -> None:
        self.db.execute(
            "INSERT INTO delivery_attempts (delivery_id, attempt_no, started_at, finished_at, url, http_status, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (delivery_id, attempt_no, started_at, finished_at, url, http_status, error))

    def attempts_of(self, delivery_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.all(
            "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt_no", (delivery_id,))]

    def mark_delivered(self, delivery_id: str, attempts: int, status: int) -> None:
        self.db.execute("UPDATE deliveries SET state = 'delivered', attempts = ?, delivered_at = ?, last_status = ?,"
                        " last_error = NULL, next_attempt_at = NULL WHERE id = ?",
                        (attempts, self.clock.now(), status, delivery_id))

    def mark_retry(self, delivery_id: str, attempts: int, next_attempt_at: float, status: int | None,
                   error: str | None) -> None:
        self.db.execute("UPDATE deliveries SET state = 'pending', attempts = ?, next_attempt_at = ?, last_status = ?,"
                        " last_error = ? WHERE id = ?", (attempts, next_attempt_at, status, error, delivery_id))

    def mark_failed(self, delivery_id: str, attempts: int, status: int | None, error: str | None) -> None:
        self.db.execute("UPDATE deliveries SET state = 'failed', attempts = ?, next_attempt_at = NULL,"
                        " last_status = ?, last_error = ? WHERE id = ?", (attempts, status, error, delivery_id))

    def hold(self, delivery_id: str) -> None:
        self.db.execute("UPDATE deliveries SET state = 'held', next_attempt_at = NULL WHERE id = ?", (delivery_id,))

    def release_held(self, account_id: str, deadline_seconds: float) -> int:
        """Subscription active again: held deliveries of the account become due now."""
        now = self.clock.now()
        return self.db.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, deadline_at = ? WHERE account_id = ?"
            " AND state = 'held'", (now, now + deadline_seconds, account_id))
