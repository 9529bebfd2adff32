"""The Graph calls of the send path over kept-alive HTTP/1.1 connections (``reference.speedups.http1``).

Why not httpx here: its client costs ~0.8-1 ms of CPU per call on this kind of machine (its pool walks every
connection per request, anyio wrappers, h11); this client a small fraction of that (docs/benchmarks.md).
Even httpx's client layer alone over a custom transport costs ~0.2-0.4 ms per call (URL parsing, header
models, the auth and redirect machinery), which is why this is not an httpx transport.

``MetaClient`` talks to both clients through one interface (``reference.meta_client.GraphHTTP``): this one
when the speed-ups are on and no transport is injected, ``HttpxGraphHTTP`` otherwise. It does one thing: send
a request with a small body to one origin and read the whole answer (Content-Length, chunked or
close-delimited; gzip/deflate decoded). Idle connections are dropped after ``keepalive_expiry`` (2 s), well
under a typical server keep-alive timeout (uvicorn: 5 s). A request is never retried.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from urllib.parse import urlsplit

from reference.speedups.http1 import Connection, FastHTTPError, LoopBound, Pool, encode_head

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class GraphAnswer:
    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers  # lower-case names; the last value of a repeated header
        self.content = content


def decode(headers: dict[str, str], content: bytes) -> bytes:
    """The body as the server meant it (``Content-Encoding`` gzip or deflate undone)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(content)
        except zlib.error:
            return zlib.decompress(content, -zlib.MAX_WBITS)
    return content


class FastGraphHTTP(LoopBound):
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
        self._pool = self._new_pool()
        self._closed = False

    def _new_pool(self) -> Pool:
        return Pool(idle_seconds=self.keepalive_expiry, max_connections=self.max_connections,
                    max_idle=self.max_keepalive)

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(Connection, self.host, self.port, ssl=self.ssl,
                                                   server_hostname=self.host if self.ssl else None)
        except (OSError, ssl.SSLError) as exc:
            raise FastHTTPError("ConnectError", str(exc)) from None
        return conn

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> GraphAnswer:
        """One request, the whole answer; raises :class:`FastHTTPError` (httpx's error names)."""
        if self._closed:
            raise FastHTTPError("ConnectError", "client closed")
        if self.loop_changed():
            self._pool = self._new_pool()
        line = f"{method} {self.prefix}{path} HTTP/1.1\r\nHost: {self._host_header}\r\n".encode("latin-1")
        fields = [("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate"), ("Connection", "keep-alive"),
                  ("User-Agent", "fiwano-reference"), *(headers or {}).items()]
        data = encode_head(line, fields, body if body is not None or method not in BODY_METHODS else b"")
        phase = ["PoolTimeout"]

        def entered(name: str) -> None:
            phase[0] = "ConnectTimeout" if name == "connect" else "ReadTimeout"

        try:
            async with asyncio.timeout(self.timeout):
                status, pairs, content, _ = await self._pool.exchange(self._connect, data, entered)
        except TimeoutError:
            raise FastHTTPError(phase[0]) from None
        answer_headers = dict(pairs)
        try:
            content = decode(answer_headers, content)
        except zlib.error as exc:
            raise FastHTTPError("DecodingError", str(exc)) from None
        return GraphAnswer(status, answer_headers, content)

    async def aclose(self) -> None:
        self._closed = True
        self._pool.close()
