"""HTTP/1.1 on asyncio + httptools: the framing and the keep-alive pool that both of the reference's own clients
use (the Graph client, ``reference.speedups.graph_client``, and the relay's webhook connections,
``reference.webhook_http``). One implementation, so a fix to the framing reaches both.

Framing: an answer ends at its ``Content-Length``, at the end of its chunked body, or (neither given) when the
server closes the connection. A connection is reusable only when the server kept it open (HTTP/1.1
keep-alive, no ``Connection: close``), the whole answer was read and the server has not closed it since.

Pool: the idle connections to one endpoint, newest first, and a bound on those in use. An idle connection
older than ``idle_seconds`` is closed instead of reused (before the server's own keep-alive timeout closes it
while we write) and swept away by a timer. A request is never retried here (a POST is not idempotent): a
failure is the caller's failed attempt.

Errors are :class:`FastHTTPError` with the name httpx would have used (``ConnectTimeout``, ``ReadTimeout``,
``ConnectError``, ``ReadError``, ``RemoteProtocolError``), so callers report the same text on either client.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httptools

#: (status, headers as (lower-case name, value) pairs in order, body, the connection may be reused)
Answer = tuple[int, list[tuple[str, str]], bytes, bool]


class FastHTTPError(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind

    @property
    def is_timeout(self) -> bool:
        return self.kind.endswith("Timeout")


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: writes a request, hands back the whole answer (:data:`Answer`)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._headers: list[tuple[str, str]] = []
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._headers_done = False
        self._delimited = False

    # asyncio.Protocol -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # (uvloop's transports do not subclass asyncio's)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(FastHTTPError("RemoteProtocolError", str(exc)))
            self.close()

    def eof_received(self) -> bool:
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and not self._delimited:
            self._finish(keep_alive=False)  # body delimited by the close
        elif self._headers_done:
            self._fail(FastHTTPError("RemoteProtocolError", "peer closed connection without sending complete body"))
        else:
            self._fail(FastHTTPError("ReadError" if exc else "RemoteProtocolError",
                                     str(exc) if exc else "Server disconnected without sending a response."))

    # httptools callbacks ----------------------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name, value))  # decoded once, all together, in on_headers_complete

    def on_headers_complete(self) -> None:
        self._headers_done = True
        # the answer's head, as (lower-case name, value) strings: one pass instead of two decodes per callback
        headers = self._headers = [(name.decode("latin-1").lower(), value.decode("latin-1"))
                                   for name, value in self._raw_headers]
        self._delimited = any(name == "content-length" or (name == "transfer-encoding" and "chunked" in value.lower())
                              for name, value in headers)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._finish(keep_alive=self._parser.should_keep_alive())

    # --------------------------------------------------------------------------------------------------------
    def _finish(self, keep_alive: bool) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result((self._parser.get_status_code(), self._headers, b"".join(self._body), keep_alive))

    def _fail(self, exc: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def start(self, data: bytes) -> asyncio.Future[Answer]:
        """Write one request (head and body); the future holds the answer."""
        self._waiter = asyncio.get_running_loop().create_future()
        self._headers = []
        self._raw_headers = []
        self._body = []
        self._headers_done = False
        self._delimited = False
        assert self.transport is not None
        self.transport.write(data)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def encode_head(request_line: bytes, headers: list[tuple[str, str]] | dict[str, str], body: bytes | None) -> bytes:
    """``request_line`` (``b"POST /p HTTP/1.1\\r\\nHost: h\\r\\n"``), the headers, Content-Length, and the body."""
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [f"{name}: {value}" for name, value in items]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return b"".join((request_line, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") if lines else b"\r\n",
                     body or b""))


class Pool:
    """The kept-alive connections to one endpoint: idle ones newest first, and a bound on those in use."""

    def __init__(self, *, idle_seconds: float, max_connections: int, max_idle: int) -> None:
        self.idle_seconds = idle_seconds
        self.max_idle = max_idle
        self.idle: deque[Connection] = deque()
        self.slots = asyncio.Semaphore(max_connections)
        self.sweep: asyncio.TimerHandle | None = None
        self.closed = False

    def take(self) -> Connection | None:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if conn.closed or conn.transport is None or conn.transport.is_closing() or \
                    now - conn.idle_since >= self.idle_seconds:
                conn.close()
                continue
            return conn
        return None

    def release(self, conn: Connection) -> None:
        if self.closed or len(self.idle) >= self.max_idle:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self.idle.append(conn)
        if self.sweep is None:
            self.sweep = asyncio.get_running_loop().call_later(self.idle_seconds, self.prune)

    def prune(self) -> None:
        """Close idle connections past their time (they would not be reused anyway)."""
        self.sweep = None
        now = time.monotonic()
        keep = deque(c for c in self.idle if not c.closed and now - c.idle_since < self.idle_seconds)
        for conn in self.idle:
            if conn not in keep:
                conn.close()
        self.idle = keep
        if self.idle:
            self.sweep = asyncio.get_running_loop().call_later(self.idle_seconds, self.prune)

    def close(self) -> None:
        self.closed = True
        if self.sweep is not None:
            self.sweep.cancel()
            self.sweep = None
        while self.idle:
            self.idle.pop().close()

    async def exchange(self, connect: Callable[[], Awaitable[Any]], data: bytes,
                       on_phase: Callable[[str], None] = lambda phase: None) -> Answer:
        """Send ``data`` on an idle connection or a new one from ``connect()``, read the whole answer, and keep
        the connection for the next request when it may be reused (else close it). ``on_phase`` hears
        ``"connect"`` before a new connection is opened and ``"read"`` once the request is written (the caller
        names a timeout by it). Cancellation (the caller's budget) closes the connection in use."""
        conn: Connection | None = None
        reusable = False
        try:
            async with self.slots:
                conn = self.take()
                if conn is None:
                    on_phase("connect")
                    conn = await connect()
                on_phase("read")
                answer = await conn.start(data)
                reusable = answer[3] and not conn.closed
                return answer
        finally:
            if conn is not None:
                if reusable:
                    self.release(conn)
                else:
                    conn.close()


class LoopBound:
    """Connections belong to one event loop; a client used from a new loop (tests) starts afresh."""

    _loop: asyncio.AbstractEventLoop | None = None

    def loop_changed(self) -> bool:
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return False
        self._loop = loop
        return True
