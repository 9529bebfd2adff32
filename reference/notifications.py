"""Notices to the account owner (the e-mails/alerts the docs promise), recorded as rows.

The reference sends no real e-mail; the harness exposes the notices (GET /harness/accounts/{id}/notifications).
"""

from __future__ import annotations

from typing import Any

from reference.clock import Clock, iso
from reference.db import Database

KINDS = ("send_retry_warning", "send_failed", "send_permanent_failure", "relay_retry_warning", "relay_failed")


class Notifier:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def notify(self, account_id: str, kind: str, text: str, *, message_id: str | None = None,
               channel_id: str | None = None) -> None:
        self.db.execute("INSERT INTO notifications (account_id, kind, at, message_id, channel_id, text)"
                        " VALUES (?, ?, ?, ?, ?, ?)", (account_id, kind, self.clock.now(), message_id, channel_id, text))

    def list(self, account_id: str) -> list[dict[str, Any]]:
        rows = self.db.all("SELECT * FROM notifications WHERE account_id = ? ORDER BY id", (account_id,))
        return [{"kind": r["kind"], "at": iso(r["at"]), "message_id": r["message_id"], "channel_id": r["channel_id"],
                 "text": r["text"]} for r in rows]
