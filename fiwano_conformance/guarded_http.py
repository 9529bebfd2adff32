"""uvicorn's httptools protocol with the limits it lacks: a deadline for the request head and a cap on its size.

Both servers of the kit (simulator and reference) ran with uvicorn's defaults, which close an idle kept-alive
connection after 5 s but put no bound on a request head being sent slowly or growing large: 500 half-open
connections stayed open for 60 s, and 1 MB of headers was read in full (issue 18 row 8). Here

- the head of every request (request line and headers) must arrive within ``HEADER_TIMEOUT_SECONDS`` of the
  connection opening or of the previous response; otherwise the connection is closed;
- a head larger than ``MAX_HEADER_BYTES`` is answered ``431 Request Header Fields Too Large`` and the
  connection closed.

Both can be changed through the environment (``FIWANO_HEADER_TIMEOUT_SECONDS``, ``FIWANO_MAX_HEADER_BYTES``).

One more thing uvicorn does not do: a response whose whole body is known when it starts still goes out in two
writes (two system calls, and on loopback two wake-ups of the client), the head when the app sends
``http.response.start`` and the body with ``http.response.body``. An app that sends its body right after the start
can mark the start message with ``fiwano_conformance.shared.asgi.ONE_WRITE`` (a key other ASGI servers ignore), vouching
for its headers: the head (built here, byte for byte what uvicorn writes, without uvicorn's two regular expressions
per header) goes out with the body in one write (the simulator's Graph answers; docs/benchmarks.md, issue 17).
Unmarked responses (streams, slow drips, cut replies) and HEAD requests are written by uvicorn itself.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from fiwano_conformance.shared.asgi import ONE_WRITE

HEADER_TIMEOUT_SECONDS = float(os.environ.get("FIWANO_HEADER_TIMEOUT_SECONDS", "") or 10.0)
MAX_HEADER_BYTES = int(os.environ.get("FIWANO_MAX_HEADER_BYTES", "") or 64 * 1024)
IDLE_KEEP_ALIVE_SECONDS = 5  # uvicorn's timeout_keep_alive, set explicitly by fiwano_conformance.serving


class _OneWriteCycle(RequestResponseCycle):
    """uvicorn's cycle; an answer started with ``ONE_WRITE`` goes out in one write: its head built here, byte for
    byte what uvicorn's ``send`` writes and with the state it sets, and sent with the body. Anything else (no
    ``ONE_WRITE``, a HEAD request, a body that is not the promised one in one message) takes uvicorn's own path."""

    _head: bytes | None = None

    async def send(self, message: Any) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if (message["type"] == "http.response.body" and not message.get("more_body", False)
                    and not self.flow.write_paused and not self.disconnected):
                body = message.get("body", b"")
                if len(body) == self.expected_content_length:  # uvicorn's body path, with the head in the write
                    self.transport.write(head + body)
                    self.expected_content_length = 0
                    self.response_complete = True
                    self.message_event.set()
                    if not self.keep_alive:
                        self.transport.close()
                    self.on_response()
                    return
            if not self.disconnected:
                self.transport.write(head)  # uvicorn's order: the head, then whatever this message does
        elif message["type"] == "http.response.start" and not self.response_started:
            length = message.get(ONE_WRITE)
            if (length is not None and not self.flow.write_paused and not self.disconnected and not self.access_log
                    and self.scope["method"] != "HEAD"):
                line = STATUS_LINE.get(message["status"])
                if line is not None:
                    self._head = self._one_write_head(line, message["headers"], length)
                    return
        await super().send(message)

    def _one_write_head(self, line: bytes, headers: Any, length: int) -> bytes:
        """What uvicorn writes for a start message whose headers the app vouches for (``ONE_WRITE``: lower-case
        names, values uvicorn accepts, one Content-Length of ``length``, no Transfer-Encoding or Connection), with
        the state uvicorn's ``send`` leaves (its checks of each header are what this saves)."""
        parts = [line]
        for name, value in self.default_headers:
            parts += (name, b": ", value, b"\r\n")
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        if not self.keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        self.response_started = True
        self.waiting_for_100_continue = False
        self.expected_content_length = length
        self.chunked_encoding = False
        return b"".join(parts)


# A copy of uvicorn's ``HttpToolsProtocol.on_header`` (0.55; no docstring, so its code compares equal). While it is
# the same code as the installed uvicorn's (``_ON_HEADER_IS_UVICORNS``), the guarded ``on_header`` does it inline
# instead of a second Python call per header (issue 17); otherwise it calls uvicorn's.
def _uvicorn_on_header(self: Any, name: bytes, value: bytes) -> None:
    name = name.lower()
    # llhttp keeps trailing OWS, which https://www.rfc-editor.org/rfc/rfc9110#section-5.5 excludes from the value.
    value = value.rstrip(b" \t")
    if name == b"expect" and value.lower() == b"100-continue":
        self.expect_100_continue = True
    self.headers.append((name, value))


def _same_code(a: Any, b: Any) -> bool:
    ca, cb = a.__code__, b.__code__
    return (ca.co_code, ca.co_consts, ca.co_names, ca.co_varnames) == (cb.co_code, cb.co_consts, cb.co_names,
                                                                       cb.co_varnames)


def _uvicorn_on_url(self: Any, url: bytes) -> None:  # uvicorn's HttpToolsProtocol.on_url, the same way
    self.url += url


_ON_HEADER_IS_UVICORNS = _same_code(_uvicorn_on_header, HttpToolsProtocol.on_header)
_ON_URL_IS_UVICORNS = _same_code(_uvicorn_on_url, HttpToolsProtocol.on_url)


class HeadTooLarge(Exception):
    """Raised inside a parser callback: httptools stops parsing and reports a parser error."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0
        self._head_too_large = False
        # the head deadline: ``_head_since`` is when the pending head began (None: no head pending); one timer per
        # connection checks it and re-arms itself while heads keep arriving in time, so a request costs two
        # assignments instead of a timer armed and cancelled (issue 17)
        self._head_since: float | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_since is None:
            self._head_since = self.loop.time()
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        self._head_since = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        since = self._head_since
        if since is None:  # no head pending: the next one arms the timer again
            return
        remaining = since + HEADER_TIMEOUT_SECONDS - self.loop.time()
        if remaining > 0:  # this head began after the one the timer was set for
            self._head_timer = self.loop.call_later(remaining, self._head_timed_out)
            return
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request head took over %g s", HEADER_TIMEOUT_SECONDS)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_since = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if (cycle is None or cycle.response_complete) and self._head_since is None:
            # bytes of a new request head on a kept-alive connection: _arm_head_timer, inline
            self._head_since = self.loop.time()
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._head_timed_out)
        super().data_received(data)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEADER_BYTES:
            self._head_too_large = True
            raise HeadTooLarge()

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        size = self._head_bytes + len(url)  # _count, inline
        self._head_bytes = size
        if size > MAX_HEADER_BYTES:
            self._head_too_large = True
            raise HeadTooLarge()
        if _ON_URL_IS_UVICORNS:
            self.url += url  # uvicorn's on_url, inline (checked at import)
        else:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        size = self._head_bytes + len(name) + len(value) + 4  # _count, inline: four of these per request
        self._head_bytes = size
        if size > MAX_HEADER_BYTES:
            self._head_too_large = True
            raise HeadTooLarge()
        if not _ON_HEADER_IS_UVICORNS:
            super().on_header(name, value)
            return
        # uvicorn's on_header, inline (the same code, checked at import): one Python call per header, not two
        name = name.lower()
        value = value.rstrip(b" \t")
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._head_since = None  # _disarm_head_timer, inline
        super().on_headers_complete()
        cycle = self.cycle
        if type(cycle) is RequestResponseCycle:
            cycle.__class__ = _OneWriteCycle  # created just now by uvicorn; its task has not run yet

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        body = f"Request header fields too large (max {MAX_HEADER_BYTES} bytes)".encode()
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                             b"charset=utf-8\r\ncontent-length: " + str(len(body)).encode() +
                             b"\r\nconnection: close\r\n\r\n" + body)
        self.transport.close()
