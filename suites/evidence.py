"""Evidence: what each side of the gateway saw during one test, attached to its report when it fails.

* north: every REST call the suites made to the target (and to its harness), with status and body;
* south: the simulator's journal of every Graph call the target made, per world the test created;
* east: every request that reached the test's sink endpoints.

The plugin adds one report section per side ("fiwano evidence: north|south|east") to a failed test,
all passed through :func:`suites.redact.redact`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from suites.redact import redact, redact_headers

_BODY_LIMIT = 4000
# a request body is kept whole (up to 1 MB): north.curl.sh in a repro bundle replays it, and the suites'
# boundary tests send bodies just over the documented limits (4,096 characters and more)
_REQUEST_BODY_LIMIT = 1_000_000


def _text(body: Any, limit: int = _BODY_LIMIT) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False, default=str)
    if len(body) > limit:
        body = body[:limit] + f" ... ({len(body)} chars)"
    return body


@dataclass
class Exchange:
    """One HTTP request the suites made and the answer they got (or the transport error).

    Kept as it was exchanged and redacted when rendered: rendering happens only for a failed test (or a
    report), while a run records every exchange of every test. Redacting each one at record time cost more
    CPU than the target under test (every header value scanned for every secret learned so far)."""

    side: str
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str
    status: int | None
    response_headers: list[tuple[str, str]]
    response_body: str
    elapsed_ms: float | None = None
    error: str | None = None

    def render(self) -> str:
        """The exchange as evidence text, every secret masked."""
        head = ("[harness] " if self.side == "harness" else "") + f"{self.method} {redact(self.url)}"
        shown = redact_headers([(k, v) for k, v in self.request_headers if k.lower() in {"x-api-key", "content-type"}])
        req_h = ", ".join(f"{k}: {v}" for k, v in shown.items())
        out = [f"> {head}" + (f"  [{req_h}]" if req_h else "")]
        if self.request_body:
            out.append(f">   {redact(self.request_body)}")
        if self.error:
            out.append(f"< transport error: {redact(self.error)}")
        else:
            ms = f" ({self.elapsed_ms:.0f} ms)" if self.elapsed_ms is not None else ""
            out.append(f"< {self.status}{ms} {redact(self.response_body)}")
        return "\n".join(out)


@dataclass
class Evidence:
    """The evidence of one test. Sources for the south and east sides are read lazily on failure."""

    nodeid: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    _south: list[tuple[str, Callable[[], str]]] = field(default_factory=list)
    _east: list[tuple[str, Callable[[], str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- recording
    def record_httpx(self, side: str, response: Any = None, request: Any = None, error: BaseException | None = None,
                     elapsed_ms: float | None = None) -> None:
        request = request if request is not None else response.request
        try:
            req_body = request.content
        except Exception:  # noqa: BLE001 - a streamed request
            req_body = b"<stream>"
        exchange = Exchange(
            side=side, method=request.method, url=str(request.url),
            request_headers=list(request.headers.items()),
            request_body=_text(req_body, _REQUEST_BODY_LIMIT),
            status=None if response is None else response.status_code,
            response_headers=[] if response is None else list(response.headers.items()),
            response_body="" if response is None else _text(response.content),
            elapsed_ms=elapsed_ms, error=None if error is None else repr(error))
        with self._lock:
            self.exchanges.append(exchange)

    def add_south(self, label: str, reader: Callable[[], str]) -> None:
        """Register a lazily read south source (e.g. a simulator world's journal)."""
        with self._lock:
            self._south.append((label, reader))

    def add_east(self, label: str, reader: Callable[[], str]) -> None:
        with self._lock:
            self._east.append((label, reader))

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(redact(text))

    # -- rendering
    def north(self) -> str:
        with self._lock:
            exchanges = list(self.exchanges)
        return "\n".join(e.render() for e in exchanges)

    @staticmethod
    def _read(sources: list[tuple[str, Callable[[], str]]]) -> str:
        parts = []
        for label, reader in sources:
            try:
                body = reader()
            except Exception as exc:  # noqa: BLE001 - evidence must never hide the real failure
                body = f"(could not read: {exc!r})"
            parts.append(f"[{label}]\n{body}")
        return "\n".join(parts)

    def south(self) -> str:
        return self._read(list(self._south))

    def east(self) -> str:
        return self._read(list(self._east))

    def sections(self) -> list[tuple[str, str]]:
        """(title, text) report sections, redacted, empty sides left out."""
        out = []
        for title, text in (("north (REST calls to the target)", self.north()),
                            ("south (simulator journal: calls the target made to Meta)", self.south()),
                            ("east (requests that reached the sink)", self.east()),
                            ("notes", "\n".join(self.notes))):
            if text.strip():
                out.append((f"fiwano evidence: {title}", redact(text)))
        return out


def render_journal(entries: list[Any]) -> str:
    """Journal entries (pydantic models or dicts) as text, one call per line."""
    lines = []
    for entry in entries:
        data = entry.model_dump() if hasattr(entry, "model_dump") else dict(entry)
        body = data.get("json") if data.get("json") is not None else data.get("body")
        lines.append(f"#{data.get('seq')} {data.get('method')} {data.get('path')} -> {data.get('status')}"
                     f"\n    request: {_text(body, 1500)}\n    response: {_text(data.get('response'), 1500)}")
    return "\n".join(lines) if lines else "(no call reached the simulator)"
