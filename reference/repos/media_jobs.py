"""Inbound media still to download: a durable queue, so that a restart while a download runs (after Meta got
its 200) does not lose the message.received event. The job and the relay it ends in are one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reference.clock import Clock
from reference.db import Database


@dataclass
class MediaJob:
    message_id: str
    channel_id: str
    item: dict[str, Any]
    state: str
    next_attempt_at: float
    created_at: float


def _job(row: Any) -> MediaJob:
    values = dict(row)
    values["item"] = json.loads(values["item"])
    return MediaJob(**values)


class MediaJobRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create(self, message_id: str, channel_id: str, item: dict[str, Any]) -> None:
        now = self.clock.now()
        self.db.execute("INSERT OR IGNORE INTO inbound_media_jobs (message_id, channel_id, item, state,"
                        " next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                        (message_id, channel_id, json.dumps(item), now, now))

    def claim_due(self, now: float, limit: int = 20) -> list[MediaJob]:
        with self.db.transaction():
            rows = self.db.all("SELECT * FROM inbound_media_jobs WHERE state = 'pending' AND next_attempt_at <= ?"
                               " ORDER BY next_attempt_at, created_at LIMIT ?", (now, limit))
            for row in rows:
                self.db.execute("UPDATE inbound_media_jobs SET state = 'running' WHERE message_id = ?",
                                (row["message_id"],))
        return [_job(r) for r in rows]

    def next_due_at(self) -> float | None:
        row = self.db.one("SELECT MIN(next_attempt_at) FROM inbound_media_jobs WHERE state = 'pending'")
        return row[0] if row else None

    def retry_at(self, message_id: str, when: float) -> None:
        self.db.execute("UPDATE inbound_media_jobs SET state = 'pending', next_attempt_at = ? WHERE message_id = ?",
                        (when, message_id))

    def release_stuck(self) -> None:
        """On start: jobs interrupted by a crash run again."""
        self.db.execute("UPDATE inbound_media_jobs SET state = 'pending' WHERE state = 'running'")

    def delete(self, message_id: str) -> None:
        self.db.execute("DELETE FROM inbound_media_jobs WHERE message_id = ?", (message_id,))

    def list(self) -> list[MediaJob]:
        return [_job(r) for r in self.db.all("SELECT * FROM inbound_media_jobs ORDER BY created_at")]
