"""A small keep-alive HTTP/1.1 client for the Graph calls of the send path (asyncio + httptools).

httpx costs ~0.8-1 ms of CPU per call on this kind of machine (its pool walks every connection per request,
anyio wrappers, h11); this client costs a small fraction of that (docs/benchmarks.md). It does one thing:
send a request with a small body to one origin and read the whole answer (Content-Length, chunked or
close-delimited; gzip/deflate decoded). Connections idle longer than ``keepalive_expiry`` are dropped
before reuse, well under a typical server keep-alive timeout (uvicorn: 5 s), so a request is never written
on a connection the server is about to close; a request is never retried (a POST to Meta is not idempotent).

Errors are raised as :class:`FastHTTPError` with the name httpx would have used (``ConnectTimeout``,
``ReadTimeout``, ``ConnectError``, ``ReadError``, ``RemoteProtocolError``) so callers report the same text.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from urllib.parse import urlsplit

import httptools


class FastHTTPError(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind

    @property
    def is_timeout(self) -> bool:
        return self.kind.endswith("Timeout")


class FastResponse:
    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers  # lower-case names; the last value of a repeated header
        self.content = content


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future | None = None
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._headers_done = False
        self._delimited = False

    # asyncio.Protocol -------------------------------------------------------------------------------------
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

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
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._headers_done = True
        h = self._headers
        self._delimited = "content-length" in h or "chunked" in h.get("transfer-encoding", "").lower()

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

    def start(self, data: bytes) -> asyncio.Future:
        self._waiter = asyncio.get_running_loop().create_future()
        self._headers = {}
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


def _decode(headers: dict[str, str], content: bytes) -> bytes:
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(content)
        except zlib.error:
            return zlib.decompress(content, -zlib.MAX_WBITS)
    return content


class FastHTTPClient:
    """Keep-alive connections to one origin (``http://`` or ``https://``), at most ``max_connections``."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, keepalive_expiry: float = 2.0,
                 max_connections: int = 256, max_keepalive: int = 256,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"unsupported base URL for the fast client: {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.ssl = (ssl_context or ssl.create_default_context()) if parts.scheme == "https" else None
        default_port = 443 if parts.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._host_header = host if self.port == default_port else f"{host}:{self.port}"
        self.timeout = float(timeout)
        self.keepalive_expiry = float(keepalive_expiry)
        self.max_keepalive = int(max_keepalive)
        self.max_connections = int(max_connections)
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(self.max_connections)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _check_loop(self) -> None:
        """Connections belong to one event loop; a client used from a new loop (tests) starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._idle.clear()
            self._slots = asyncio.Semaphore(self.max_connections)

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self.host, self.port, ssl=self.ssl,
                                                   server_hostname=self.host if self.ssl else None)
        except (OSError, ssl.SSLError) as exc:
            raise FastHTTPError("ConnectError", str(exc)) from None
        return conn

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()  # most recently used first
            if conn.closed or conn.transport is None or conn.transport.is_closing() or \
                    now - conn.idle_since > self.keepalive_expiry:
                conn.close()
                continue
            return conn
        return None

    def _release(self, conn: _Connection) -> None:
        if self._closed or len(self._idle) >= self.max_keepalive:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.append(conn)

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> FastResponse:
        if self._closed:
            raise FastHTTPError("ConnectError", "client closed")
        self._check_loop()
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self._host_header}", "Accept: */*",
                 "Accept-Encoding: gzip, deflate", "Connection: keep-alive", "User-Agent: fiwano-reference"]
        if headers:
            lines.extend(f"{k}: {v}" for k, v in headers.items())
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        phase = "PoolTimeout"
        conn: _Connection | None = None
        reusable = False
        try:
            async with asyncio.timeout(self.timeout):
                async with self._slots:
                    conn = self._take_idle()
                    if conn is None:
                        phase = "ConnectTimeout"
                        conn = await self._connect()
                    phase = "ReadTimeout"
                    status, resp_headers, content, keep_alive = await conn.start(data)
                    reusable = keep_alive and not conn.closed
        except TimeoutError:
            raise FastHTTPError(phase) from None
        finally:
            if conn is not None:
                if reusable:
                    self._release(conn)
                else:
                    conn.close()
        try:
            content = _decode(resp_headers, content)
        except zlib.error as exc:
            raise FastHTTPError("DecodingError", str(exc)) from None
        return FastResponse(status, resp_headers, content)

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
