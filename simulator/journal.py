"""The journal: every request the target made to the fake Meta, with what it got back.

Entries carry the world they were attributed to (by token or by an asset id in the path), so parallel
test workers read only their own traffic. Sequence numbers are global and strictly increasing, which
lets a test ask for "everything after seq N".
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class JournalEntry:
    seq: int
    world_id: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str
    json: Any
    status: int | None
    response: Any
    virtual_time: float
    real_time: float
    fault: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._entries: list[JournalEntry] = []
        self._seq = 0
        self._lock = threading.Lock()
        self._max = max_entries

    def append(self, **fields: Any) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **fields)
            self._entries.append(entry)
            if len(self._entries) > self._max:
                del self._entries[: len(self._entries) - self._max]
            return entry

    def entries(self, world_id: str | None = None, method: str | None = None, path_contains: str | None = None,
                since_seq: int | None = None) -> list[JournalEntry]:
        with self._lock:
            items = list(self._entries)
        out = []
        for entry in items:
            if world_id is not None and entry.world_id != world_id:
                continue
            if method and entry.method.upper() != method.upper():
                continue
            if path_contains and path_contains not in entry.path:
                continue
            if since_seq is not None and entry.seq <= since_seq:
                continue
            out.append(entry)
        return out

    def forget_world(self, world_id: str) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if e.world_id != world_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
