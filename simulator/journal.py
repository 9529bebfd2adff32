"""The journal: every request the target made to the fake Meta, with what it got back.

Entries carry the world they were attributed to (by token or by an asset id in the path), so parallel
test workers read only their own traffic. Sequence numbers are global and strictly increasing, which
lets a test ask for "everything after seq N".
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any, Iterable, Sequence

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency (pyproject.toml); an older install still works, slower
    orjson = None  # type: ignore[assignment]


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
    body_size: int | None = field(default=None)      # bytes of the request body as received
    body_sha256: str | None = field(default=None)    # hex digest of those bytes; set when ``body`` was cut

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# What an entry keeps beyond its index fields, serialised as one JSON string (see Journal).
_DETAIL_FIELDS = ("query", "headers", "body", "json", "status", "response", "virtual_time", "real_time", "fault",
                  "body_size", "body_sha256")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
# orjson where it encodes what the stdlib would (the journal's values are JSON types; dataclasses and datetimes
# go through ``default=str`` like the stdlib's); anything it refuses (an int beyond 64 bits, a lone surrogate)
# falls back to the stdlib. Reading decodes either text to the same values. ~5x cheaper per send.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME if orjson else 0


# What an entry kept as a tuple (``Journal.record``) holds beyond its body, answer and header values: the index
# fields, the numbers and the containers, about what the same entry takes as JSON text
_LAZY_OVERHEAD = 256


def _encode(value: Any) -> str:
    if orjson is None:
        return _ENCODER.encode(value)
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODER.encode(value)


def decoded_headers(pairs: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """An ASGI scope's raw header pairs as the Graph pipeline reads (and journals) them: latin-1 text, names
    lower-case, the last of repeated names winning."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in pairs}


DEFAULT_MAX_ENTRIES = 100_000
# Bytes the journal may hold in all (issue 18 row 9: 100 MB bodies to any Graph path took the simulator from
# 62 MB to 2.26 GB, 1.28 GB still held afterwards). A body over BODY_KEEP_CHARS is kept cut, with its size and
# SHA-256; a response over RESPONSE_KEEP_CHARS is replaced by its size and hash.
DEFAULT_MAX_BYTES = 128 * 1024 * 1024
BODY_KEEP_CHARS = 64 * 1024
RESPONSE_KEEP_CHARS = 64 * 1024


def _bounded_body(fields: dict[str, Any]) -> None:
    raw = fields.pop("raw_body", None)
    if isinstance(raw, bytes):  # the bytes as received: size and hash of those, text decoded from the kept part
        fields["body_size"] = len(raw)
        if len(raw) > BODY_KEEP_CHARS:
            fields["body_sha256"] = hashlib.sha256(raw).hexdigest()
            fields["body"] = raw[:BODY_KEEP_CHARS].decode("utf-8", errors="replace")
            fields["json"] = None
        else:
            fields["body"] = raw.decode("utf-8", errors="replace")
        return
    body = fields.get("body")
    if not isinstance(body, str):
        return
    if fields.get("body_size") is None:
        fields["body_size"] = len(body.encode("utf-8", "surrogatepass"))
    if len(body) > BODY_KEEP_CHARS:
        fields["body_sha256"] = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
        fields["body"] = body[:BODY_KEEP_CHARS]
        fields["json"] = None  # the parsed form of a cut body would hold it whole again


def _bounded_response(fields: dict[str, Any]) -> None:
    response = fields.get("response")
    if isinstance(response, (str, dict, list)):
        text = response if isinstance(response, str) else _encode(response)
        if len(text) > RESPONSE_KEEP_CHARS:
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
            fields["response"] = f"<{len(text)} characters, sha256 {digest}, not kept>"


class Journal:
    """The last ``max_entries`` entries and at most ``max_bytes`` of them, oldest dropped first.

    Entries are kept as tuples of strings and numbers (the index fields plus the rest as one JSON string)
    rather than as objects holding dicts: the cyclic garbage collector then has nothing to walk in the
    journal. Kept as objects, 100 000 entries meant about a million tracked containers, full collections
    of 0.1-0.5 s under load and about a tenth of the simulator's CPU time (docs/benchmarks.md). Reading
    decodes the entries again; the values are those a JSON answer would carry anyway.
    """

    def __init__(self, max_entries: int | None = None, max_bytes: int | None = None) -> None:
        # a deque: dropping the oldest entry is O(1). A 1,000-key steady run makes ~300 000 sends in its 5
        # minutes; FIWANO_SIM_JOURNAL_MAX_ENTRIES raises the cap for such runs (docs/loadtests.md), and
        # FIWANO_SIM_JOURNAL_MAX_BYTES the byte cap.
        if max_entries is None:
            max_entries = int(os.environ.get("FIWANO_SIM_JOURNAL_MAX_ENTRIES", "") or DEFAULT_MAX_ENTRIES)
        if max_bytes is None:
            max_bytes = int(os.environ.get("FIWANO_SIM_JOURNAL_MAX_BYTES", "") or DEFAULT_MAX_BYTES)
        # (seq, world id, method, path, detail, size): detail is the JSON text of the other fields, or a tuple of
        # what the pipeline had (``record``)
        self._entries: deque[tuple[int, str | None, str, str, Any, int]] = deque()
        self._seq = 0
        self._lock = threading.Lock()
        self._max = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0  # characters of the kept detail strings, bytes of the kept tuples (what the cap counts)

    def append(self, **fields: Any) -> JournalEntry:
        fields.setdefault("fault", None)
        fields.setdefault("body_size", None)
        fields.setdefault("body_sha256", None)
        _bounded_body(fields)
        _bounded_response(fields)
        detail = _encode([fields[name] for name in _DETAIL_FIELDS])
        seq = self._keep(fields["world_id"], fields["method"], fields["path"], detail, len(detail))
        return JournalEntry(seq=seq, **fields)

    def record(self, world_id: str | None, method: str, path: str, query: dict[str, str],
               headers: dict[str, str] | Sequence[tuple[bytes, bytes]], raw_body: bytes, parsed: Any,
               status: int | None, response: Any, virtual_time: float, real_time: float,
               fault: dict[str, Any] | None, response_json: bytes | None = None,
               parsed_from_body: bool = False) -> int:
        """``append`` for the Graph pipeline, once per request: the same entry, returning its sequence number.

        ``headers``: a dict, or the ASGI scope's raw ``(name, value)`` byte pairs, which the entry reads as
        ``decoded_headers`` does (names lower-case, the last of repeated ones winning, as the pipeline decodes them).
        The usual entry (no fault, a body and an answer within their caps) is kept as it came, in one flat tuple:
        the query's and the headers' names and values in a row, the body's bytes and the answer's bytes as sent (``response_json``:
        ``response`` encoded as JSON) or the answer's text summary (a ``str`` response: a file's). Reading decodes it
        to the entry ``append`` would have made (``parsed_from_body``: ``parsed`` is the JSON body decoded from
        ``raw_body``, so it is decoded again from the bytes). Encoding each entry at record time was about a tenth
        of a send's CPU (docs/benchmarks.md, issue 17); tuples of strings, bytes and numbers are untracked by the
        garbage collector at their first collection, so the journal still gives it nothing to walk.
        """
        kept: bytes | str | None = response_json
        if kept is None and type(response) is str and len(response) <= RESPONSE_KEEP_CHARS:
            kept = response  # kept as the text it is (decoded: itself)
        if (fault is None and kept is not None and len(raw_body) <= BODY_KEEP_CHARS
                and len(kept) <= RESPONSE_KEEP_CHARS and (parsed is None or parsed_from_body)):
            # one flat tuple of strings, bytes and numbers (no tuple of pairs inside): the collector untracks it at
            # its first look, where nested tuples stayed tracked until a full collection reached them
            header_flat: tuple[Any, ...]
            if isinstance(headers, dict):
                header_flat = tuple(chain.from_iterable(headers.items()))
                header_size = sum(map(len, headers.values()))
            else:  # the raw pairs: names and values counted
                header_flat = tuple(chain.from_iterable(headers))
                header_size = sum(map(len, header_flat))
            query_flat = tuple(chain.from_iterable(query.items())) if query else ()
            size = len(raw_body) + len(kept) + _LAZY_OVERHEAD + header_size
            return self._keep(world_id, method, path, (raw_body, parsed is not None, status, kept, virtual_time,
                                                       real_time, len(query_flat), *query_flat, *header_flat), size)
        fields = {"world_id": world_id, "method": method, "path": path, "query": query,
                  "headers": headers if isinstance(headers, dict) else decoded_headers(headers),
                  "raw_body": raw_body, "json": parsed, "status": status, "response": response,
                  "virtual_time": virtual_time, "real_time": real_time, "fault": fault}
        return self.append(**fields).seq

    def _keep(self, world_id: str | None, method: str, path: str, detail: Any, size: int) -> int:
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._entries.append((seq, world_id, method, path, detail, size))
            self.bytes += size
            while self._entries and (len(self._entries) > self._max or self.bytes > self.max_bytes):
                self.bytes -= self._entries.popleft()[5]
        return seq

    @staticmethod
    def _decode(record: tuple[int, str | None, str, str, Any, int]) -> JournalEntry:
        seq, world_id, method, path, detail, _ = record
        if isinstance(detail, str):
            return JournalEntry(seq, world_id, method, path, *json.loads(detail))
        raw_body, parsed_from_body, status, response_json, virtual_time, real_time, query_count = detail[:7]
        query = detail[7:7 + query_count]
        headers = detail[7 + query_count:]
        from simulator.graph.request import _loads_body  # the pipeline's own decoder: the same values

        return JournalEntry(seq, world_id, method, path, dict(zip(query[::2], query[1::2], strict=True)),
                            (decoded_headers if headers and type(headers[0]) is bytes else dict)(
                                zip(headers[::2], headers[1::2], strict=True)),
                            raw_body.decode("utf-8", errors="replace"),
                            _loads_body(raw_body) if parsed_from_body else None, status,
                            response_json if type(response_json) is str else json.loads(response_json),
                            virtual_time, real_time, None, len(raw_body), None)

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
            self._entries = deque(r for r in self._entries if r[1] != world_id)
            self.bytes = sum(r[5] for r in self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
