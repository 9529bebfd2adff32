"""Channel health (profile fiwano-2026-10): the channels whose access Meta refuses, with Meta's error and since when.

A channel without a row is healthy. The row is kept (only its reason updated) while Meta keeps refusing, so that
``since`` stays the time the refusal was first detected, and deleted once Meta accepts the channel's access again.
"""

from __future__ import annotations

import json
from typing import Any

from reference.clock import Clock
from reference.db import Database


class HealthRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, channel_id: str) -> tuple[dict[str, Any], float] | None:
        row = self.db.one("SELECT reason, since FROM channel_health WHERE channel_id = ?", (channel_id,))
        return (json.loads(row["reason"]), float(row["since"])) if row else None

    def mark(self, channel_id: str, reason: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO channel_health (channel_id, reason, since) VALUES (?, ?, ?)"
                        " ON CONFLICT(channel_id) DO UPDATE SET reason = excluded.reason",
                        (channel_id, json.dumps(reason), self.clock.now()))

    def clear(self, channel_id: str) -> None:
        if self.get(channel_id) is not None:
            self.db.execute("DELETE FROM channel_health WHERE channel_id = ?", (channel_id,))
