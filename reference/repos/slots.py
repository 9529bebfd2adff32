"""Channel slots of an account's plan per channel type (profile fiwano-2026-10: GET /subscriptions, 409 no_free_slot,
the slot_occupied redirect). An account without a row for a channel type has the default number of slots."""

from __future__ import annotations

from reference.db import Database


class SlotRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, account_id: str, channel_type: str) -> int | None:
        row = self.db.one("SELECT slots FROM account_slots WHERE account_id = ? AND channel_type = ?",
                          (account_id, channel_type))
        return int(row["slots"]) if row else None

    def set(self, account_id: str, channel_type: str, slots: int) -> None:
        self.db.execute("INSERT INTO account_slots (account_id, channel_type, slots) VALUES (?, ?, ?)"
                        " ON CONFLICT(account_id, channel_type) DO UPDATE SET slots = excluded.slots",
                        (account_id, channel_type, slots))
