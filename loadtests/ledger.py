"""What every simulated user did, per API key, in a compact columnar form that can travel from Locust
workers to the master and be judged after the run.

Locust's own statistics aggregate by endpoint; the gates need per-key, per-request facts (when each request
left, what came back) to count wrongly admitted and wrongly rejected requests and to match sends against the
simulator's journal. One row costs about 30 bytes, so a one-hour soak of 1,000 keys at 80 % of the limit
(~4.8 M rows) stays in the low hundreds of MB on the master.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Iterable, Iterator

from loadtests.ratelimit import Attempt, Outcome


INTERRUPTED = -1   # status of a request cut off by the end of the run (its user was stopped)


class Op(IntEnum):
    SEND_TEXT = 1
    SEND_MEDIA = 2
    SEND_TEMPLATE = 3
    READ_CHANNELS = 4
    READ_TEMPLATES = 5
    SETUP = 9          # requests made with the key while provisioning (they count against its limit too)

    @property
    def is_send(self) -> bool:
        return self in (Op.SEND_TEXT, Op.SEND_MEDIA, Op.SEND_TEMPLATE)


class Detail(IntEnum):
    """What an admitted send said about the message (spec: 'Behavior on transient vs permanent Meta errors')."""

    NONE = 0      # not a send, or not a 200
    SENT = 1      # success true, not queued: Meta must have received exactly this message
    QUEUED = 2    # status "queued": Meta failed transiently, the target retries later
    FAILED = 3    # success false: a permanent Meta error (Meta did receive the call)


@dataclass(frozen=True, slots=True)
class Row:
    key: int
    seq: int
    op: Op
    sent: float
    done: float
    status: int        # HTTP status, 0 when no answer, INTERRUPTED when cut off by the end of the run
    detail: Detail

    @property
    def outcome(self) -> Outcome:
        if self.status <= 0:
            return Outcome.UNKNOWN
        return Outcome.REJECTED if self.status == 429 else Outcome.ADMITTED

    @property
    def latency(self) -> float:
        return self.done - self.sent


_COLUMNS = (("seq", "q"), ("op", "b"), ("sent", "d"), ("done", "d"), ("status", "h"), ("detail", "b"))


@dataclass
class KeyRows:
    """The rows of one key, column by column."""

    seq: array = field(default_factory=lambda: array("q"))
    op: array = field(default_factory=lambda: array("b"))
    sent: array = field(default_factory=lambda: array("d"))
    done: array = field(default_factory=lambda: array("d"))
    status: array = field(default_factory=lambda: array("h"))
    detail: array = field(default_factory=lambda: array("b"))

    def __len__(self) -> int:
        return len(self.seq)

    def append(self, seq: int, op: int, sent: float, done: float, status: int, detail: int) -> None:
        self.seq.append(seq)
        self.op.append(int(op))
        self.sent.append(sent)
        self.done.append(done)
        self.status.append(status)
        self.detail.append(int(detail))

    def extend(self, chunk: dict) -> None:
        for name, typecode in _COLUMNS:
            getattr(self, name).extend(array(typecode, chunk[name]))

    def to_chunk(self, start: int = 0) -> dict:
        return {name: getattr(self, name)[start:].tolist() for name, _ in _COLUMNS}


class Ledger:
    """All rows of one process (a worker's share, or everything on the master / a local run)."""

    def __init__(self) -> None:
        self._keys: dict[int, KeyRows] = {}
        self._shipped: dict[int, int] = {}
        self.inbound: list[dict] = []
        self._inbound_shipped = 0

    # --- recording (in the user greenlets) -------------------------------------------------------------
    def record(self, key: int, seq: int, op: Op, sent: float, done: float, status: int,
               detail: Detail = Detail.NONE) -> None:
        rows = self._keys.get(key)   # not setdefault: it would build six empty arrays per request
        if rows is None:
            rows = self._keys[key] = KeyRows()
        rows.append(seq, op, sent, done, status, detail)

    def record_inbound(self, row: dict) -> None:
        self.inbound.append(row)

    # --- shipping (worker -> master) ---------------------------------------------------------------------
    def take_unshipped(self, only_key: int | None = None) -> dict:
        """The rows not yet handed out, as a msgpack-friendly dict; marks them shipped."""
        keys = {}
        for key, rows in self._keys.items():
            if only_key is not None and key != only_key:
                continue
            start = self._shipped.get(key, 0)
            if len(rows) > start:
                keys[str(key)] = rows.to_chunk(start)
                self._shipped[key] = len(rows)
        inbound = []
        if only_key is None:
            inbound = self.inbound[self._inbound_shipped:]
            self._inbound_shipped = len(self.inbound)
        return {"keys": keys, "inbound": inbound}

    def merge(self, shipment: dict) -> None:
        for key, chunk in shipment.get("keys", {}).items():
            self._keys.setdefault(int(key), KeyRows()).extend(chunk)
        self.inbound.extend(shipment.get("inbound", []))

    # --- reading (after the run) -------------------------------------------------------------------------
    def keys(self) -> list[int]:
        return sorted(self._keys)

    def rows(self, key: int) -> Iterator[Row]:
        rows = self._keys.get(key)
        if rows is None:
            return iter(())
        return (Row(key, rows.seq[i], Op(rows.op[i]), rows.sent[i], rows.done[i], rows.status[i],
                    Detail(rows.detail[i])) for i in range(len(rows)))

    def rows_since(self, since: float) -> Iterator[Row]:
        """Rows sent at or after ``since`` (each key's rows are in send order: one user drives a key at a time)."""
        for key, rows in self._keys.items():
            for i in range(bisect_left(rows.sent, since), len(rows)):
                yield Row(key, rows.seq[i], Op(rows.op[i]), rows.sent[i], rows.done[i], rows.status[i],
                          Detail(rows.detail[i]))

    def all_rows(self) -> Iterator[Row]:
        for key in self.keys():
            yield from self.rows(key)

    def attempts(self, key: int) -> list[Attempt]:
        return [Attempt(r.sent, r.done, r.outcome) for r in self.rows(key)]

    def row_count(self) -> int:
        return sum(len(rows) for rows in self._keys.values())


def rows_between(rows: Iterable[Row], start: float, end: float) -> list[Row]:
    return [r for r in rows if start <= r.sent < end]
