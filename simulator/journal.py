"""The journal: every request the target made to the fake Meta, with what it got back.

Entries carry the world they were attributed to (by token or by an asset id in the path), so parallel
test workers read only their own traffic. Sequence numbers are global and strictly increasing, which
lets a test ask for "everything after seq N".
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
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


# What an entry keeps beyond its index fields, serialised as one JSON string (see Journal).
_DETAIL_FIELDS = ("query", "headers", "body", "json", "status", "response", "virtual_time", "real_time", "fault")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


DEFAULT_MAX_ENTRIES = 100_000


class Journal:
    """The last ``max_entries`` entries, oldest dropped first.

    Entries are kept as tuples of strings and numbers (the index fields plus the rest as one JSON string)
    rather than as objects holding dicts: the cyclic garbage collector then has nothing to walk in the
    journal. Kept as objects, 100 000 entries meant about a million tracked containers, full collections
    of 0.1-0.5 s under load and about a tenth of the simulator's CPU time (docs/benchmarks.md). Reading
    decodes the entries again; the values are those a JSON answer would carry anyway.
    """

    def __init__(self, max_entries: int | None = None) -> None:
        # a bounded deque: dropping the oldest entry is O(1). A 1,000-key steady run makes ~300 000 sends in
        # its 5 minutes; FIWANO_SIM_JOURNAL_MAX_ENTRIES raises the cap for such runs (docs/loadtests.md).
        if max_entries is None:
            max_entries = int(os.environ.get("FIWANO_SIM_JOURNAL_MAX_ENTRIES", "") or DEFAULT_MAX_ENTRIES)
        self._entries: deque[tuple[int, str | None, str, str, str]] = deque(maxlen=max_entries)
        self._seq = 0
        self._lock = threading.Lock()
        self._max = max_entries

    def append(self, **fields: Any) -> JournalEntry:
        fields.setdefault("fault", None)
        detail = _ENCODER.encode([fields[name] for name in _DETAIL_FIELDS])
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._entries.append((seq, fields["world_id"], fields["method"], fields["path"], detail))
        return JournalEntry(seq=seq, **fields)

    @staticmethod
    def _decode(record: tuple[int, str | None, str, str, str]) -> JournalEntry:
        seq, world_id, method, path, detail = record
        return JournalEntry(seq, world_id, method, path, *json.loads(detail))

    def entries(self, world_id: str | None = None, method: str | None = None, path_contains: str | None = None,
                since_seq: int | None = None) -> list[JournalEntry]:
        with self._lock:
            items = list(self._entries)
        out = []
        wanted_method = method.upper() if method else None
        for record in items:
            seq, entry_world, entry_method, path = record[:4]
            if world_id is not None and entry_world != world_id:
                continue
            if wanted_method and entry_method.upper() != wanted_method:
                continue
            if path_contains and path_contains not in path:
                continue
            if since_seq is not None and seq <= since_seq:
                continue
            out.append(self._decode(record))
        return out

    def forget_world(self, world_id: str) -> None:
        with self._lock:
            self._entries = deque((r for r in self._entries if r[1] != world_id), maxlen=self._max)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
