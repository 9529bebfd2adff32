"""Kept-alive HTTPS connections to customers' webhook endpoints: one small pool per endpoint (host, port).

Why: a fresh TLS connection per delivery costs a full handshake on both sides (key exchange, certificate chain
and its verification) and httpx's per-call overhead (~0.8-1 ms of CPU, docs/benchmarks.md) on the reference's
one event loop; at 200 inbound messages/s that put the relay's p99 at ~105 ms (issue 17). Reusing the
connection of the previous delivery to the same endpoint costs neither.

What stays exactly as it was with a fresh connection per delivery:

* **Only the address checked as public is connected to** (DNS rebinding, ``reference.pinned_dns``): a new
  connection resolves the host, refuses it unless every address is public (hosts in ``allow_hosts`` are
  connected to as given) and connects to the address it checked. A reused connection is one that was opened
  that way; nothing is ever connected to without that check.
* TLS verifies the certificate for the host name (also sent as SNI); the ``Host`` header is the URL's
  (httpx's rules: no default port); the path and query are httpx's encoding of the URL. No redirect is
  followed (a 3xx is simply not a 2xx).
* The caller's budget covers everything: waiting for a connection, connecting, the TLS handshake, writing, and
  reading the whole answer.
* A request is never retried here, on this or another connection: a failure is an ordinary failed attempt,
  retried by the relay's schedule, as before.

The framing (Content-Length, chunked, close-delimited) and the idle pool are ``reference.speedups.http1``'s,
shared with the Graph client; this module adds the relay's rules: the pinned connect, the bounded answer, one
pool per endpoint.

What keeps a reused connection from looking like a failed delivery (the reason the relay used to open a fresh
one): a connection is reused only when the server kept it open (HTTP/1.1 keep-alive, no ``Connection:
close``), the whole answer was read, the server has not closed it meanwhile (its FIN closes our side at once),
and it has been idle less than ``IDLE_SECONDS`` (1 s): under the keep-alive timeouts of common servers
(gunicorn 2 s, uvicorn, Node and Apache 5 s, nginx 75 s), so the server does not close it while we write.

Limits on the answer (the body is not used; only the status counts): the status line and headers at most
``MAX_HEAD_BYTES`` (64 KiB, else ``RemoteProtocolError``), the body read up to ``MAX_BODY_BYTES`` (1 MiB) and
discarded; a longer body ends the read (the status decides) and the connection is closed, not reused.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx

from reference.pinned_dns import resolve_public
from reference.speedups.http1 import Connection, FastHTTPError, LoopBound, Pool, encode_head

IDLE_SECONDS = 1.0
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
MAX_CONNECTIONS_PER_ENDPOINT = 100
MAX_IDLE_PER_ENDPOINT = 16
_TARGET_CACHE_SIZE = 1024


class _LimitedConnection(Connection):
    """One HTTP/1.1 connection whose answers are bounded (head and body sizes)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen = 0
        self._head_bytes = 0
        self._body_bytes = 0
        self._truncated = False

    def start(self, data: bytes) -> asyncio.Future[Any]:
        self._seen = 0
        self._head_bytes = 0
        self._body_bytes = 0
        self._truncated = False
        return super().start(data)

    def _head_too_large(self) -> None:
        self._truncated = True
        self._fail(FastHTTPError("RemoteProtocolError", f"response head larger than {MAX_HEAD_BYTES // 1024} KiB"))
        self.close()

    def data_received(self, data: bytes) -> None:
        if self._truncated:
            return
        self._seen += len(data)
        super().data_received(data)
        if not self._headers_done and not self._truncated and self._seen > MAX_HEAD_BYTES:
            self._head_too_large()  # still no end of the head after that many bytes

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self._head_bytes > MAX_HEAD_BYTES:
            self._head_too_large()

    def on_body(self, body: bytes) -> None:
        if self._truncated:
            return
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:  # (the body is counted, never kept: only the status is used)
            self._truncated = True
            self._finish(keep_alive=False)  # the status is known; the rest of the body is not read
            self.close()

    def on_message_complete(self) -> None:
        if not self._truncated:
            super().on_message_complete()


@dataclass(frozen=True)
class _Target:
    key: tuple[str, int]     # the endpoint (host as in the URL, lower case; port)
    host: str                # for DNS, SNI and certificate verification
    port: int
    head: bytes              # "POST <target> HTTP/1.1\r\nHost: ...\r\n" (httpx's encoding of the URL)


def _endpoint_pool() -> Pool:
    return Pool(idle_seconds=IDLE_SECONDS, max_connections=MAX_CONNECTIONS_PER_ENDPOINT,
                max_idle=MAX_IDLE_PER_ENDPOINT)


class WebhookClient(LoopBound):
    """POST a body to webhook URLs over kept-alive, pinned, verified HTTPS connections (see the module doc)."""

    def __init__(self, ssl_context: ssl.SSLContext, allow_hosts: frozenset[str]) -> None:
        self.ssl = ssl_context
        self.allow_hosts = allow_hosts
        self._endpoints: dict[tuple[str, int], Pool] = {}
        self._targets: OrderedDict[str, _Target] = OrderedDict()
        self._closed = False

    def _target(self, url: str) -> _Target:
        target = self._targets.get(url)
        if target is None:
            parsed = httpx.URL(url)
            if parsed.scheme != "https" or not parsed.host:
                raise FastHTTPError("UnsupportedProtocol", f"only https:// webhook URLs are relayed: {url!r}")
            port = parsed.port or 443
            host = parsed.raw_host.decode("ascii")  # IDNA-encoded, as DNS and SNI want it
            head = b"POST " + parsed.raw_path + b" HTTP/1.1\r\nHost: " + parsed.netloc + b"\r\n"
            target = _Target((host.lower(), port), host, port, head)
            self._targets[url] = target
            if len(self._targets) > _TARGET_CACHE_SIZE:
                self._targets.popitem(last=False)
        return target

    async def _connect(self, target: _Target) -> _LimitedConnection:
        loop = asyncio.get_running_loop()
        try:
            address = target.host if target.host.lower() in self.allow_hosts else \
                await resolve_public(target.host, target.port)  # pinned_dns.NotPublic is an OSError
            _, conn = await loop.create_connection(_LimitedConnection, address, target.port, ssl=self.ssl,
                                                   server_hostname=target.host)
        except OSError as exc:  # refused, unreachable, not public; ssl.SSLError (certificate) included
            raise FastHTTPError("ConnectError", str(exc)) from None
        return conn

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` with ``headers``; the answer's status code. The caller bounds the time (cancellation
        closes the connection in use). Raises :class:`FastHTTPError` (httpx's error names)."""
        if self._closed:
            raise FastHTTPError("ConnectError", "client closed")
        if self.loop_changed():
            self._endpoints = {}
        target = self._target(url)
        data = encode_head(target.head, [("Accept", "*/*"), ("Connection", "keep-alive"), *headers.items()], body)
        pool = self._endpoints.get(target.key)
        if pool is None:
            pool = self._endpoints[target.key] = _endpoint_pool()

        async def connect() -> _LimitedConnection:
            return await self._connect(target)

        status, _headers, _content, _keep_alive = await pool.exchange(connect, data)
        return int(status)

    async def aclose(self) -> None:
        self._closed = True
        for pool in self._endpoints.values():
            pool.close()
        self._endpoints = {}
