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

And one shortcut for apps that can answer a whole request synchronously (``fiwano_conformance.shared.asgi.ANSWER_NOW``,
the simulator's fast lane): when a request's head and whole body arrive in one read, the app's ``answer_now`` is
asked before uvicorn's ASGI task would start, and its answer is written without the task, the receive and send
calls and the ASGI messages (about a fifth of a simulator send's instructions). Those answers are written together
at the start of the event loop's next turn (``_WriteBatch``), not one by one as they are made: on a loaded server
the client then wakes once for a turn's answers instead of once per answer. On this project's 2-vCPU VM, waking the
client's idle CPU cost the server ~20 µs of system time per answer, more than the app's own work saved by the
shortcut (docs/benchmarks.md, issue 17). Anything else (a body still arriving, ``Expect: 100-continue``, HTTP/1.0
or ``Connection: close``, HEAD, paused writing, an access log, a request the app declines) takes uvicorn's path.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from fiwano_conformance.shared.asgi import ANSWER_NOW, ONE_WRITE

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
        self.response_started = True
        self.waiting_for_100_continue = False
        self.expected_content_length = length
        self.chunked_encoding = False
        return _vouched_head(line, self.default_headers, headers, self.keep_alive)


def _vouched_head(line: bytes, default_headers: Any, headers: Any, keep_alive: bool) -> bytes:
    """The response head uvicorn's ``send`` writes for headers an app vouches for (``ONE_WRITE``)."""
    parts = [line]
    for name, value in default_headers:
        parts += (name, b": ", value, b"\r\n")
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


class _WriteBatch:
    """The answers given at once (``ANSWER_NOW``) during one turn of the event loop, written together at the start
    of the next turn instead of each as it is made."""

    __slots__ = ("loop", "pending", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: list[tuple[asyncio.Transport, bytes]] = []

    def add(self, transport: asyncio.Transport, data: bytes) -> None:
        if not self.pending:
            self.loop.call_soon(self.flush)
        self.pending.append((transport, data))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for transport, data in pending:
            if not transport.is_closing():
                transport.write(data)


_BATCHES: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _WriteBatch]" = weakref.WeakKeyDictionary()


def _batch_of(loop: asyncio.AbstractEventLoop) -> _WriteBatch:
    batch = _BATCHES.get(loop)
    if batch is None:
        batch = _BATCHES[loop] = _WriteBatch(loop)
    return batch


def _answer_now_of(app: Any) -> Any:
    """The app's ``ANSWER_NOW`` method under uvicorn's proxy-headers middleware, or None."""
    if type(app) is ProxyHeadersMiddleware:
        app = app.app
    return getattr(app, ANSWER_NOW, None)


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
        # ANSWER_NOW (fiwano_conformance.shared.asgi): a request's task waits in ``_waiting`` from its head to the end
        # of the data it came in; if its whole body came too, the app may answer it there and then
        self._answer_now = _answer_now_of(self.app)
        self._heads_completing = False
        self._waiting: tuple[RequestResponseCycle, Any] | None = None
        self._batch = _batch_of(self.loop)

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
        try:
            super().data_received(data)
        finally:
            waiting = self._waiting
            if waiting is not None:  # its body goes on in later data: the task starts now, as uvicorn would have
                self._waiting = None
                HttpToolsProtocol._start_asgi_task(self, *waiting)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        if self._heads_completing and app is self.app and self._answer_now is not None:
            self._waiting = (cycle, app)  # until the message completes or this data ends (data_received)
            return
        super()._start_asgi_task(cycle, app)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        waiting = self._waiting
        if waiting is not None:
            self._waiting = None
            if not self._answered_now(waiting[0]):
                HttpToolsProtocol._start_asgi_task(self, *waiting)

    def _answered_now(self, cycle: RequestResponseCycle) -> bool:
        """Whether the app answered this whole request at once (``ANSWER_NOW``); written as uvicorn's cycle writes
        a ``ONE_WRITE`` answer, with the state its send leaves and its completion callback."""
        if (cycle.waiting_for_100_continue or not cycle.keep_alive or cycle.access_log or self.flow.write_paused
                or self.transport.is_closing()):
            return False
        scope = cycle.scope
        if scope["method"] == "HEAD":
            return False
        answer = self._answer_now(scope, cycle.body)
        if answer is None:
            return False
        status, headers, body = answer
        self._batch.add(self.transport, _vouched_head(STATUS_LINE[status], cycle.default_headers, headers, True) + body)
        cycle.response_started = cycle.response_complete = True
        cycle.waiting_for_100_continue = False
        cycle.expected_content_length = 0
        self.on_response_complete()
        return True

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
        self._heads_completing = True
        try:
            super().on_headers_complete()
        finally:
            self._heads_completing = False
        cycle = self.cycle
        if type(cycle) is RequestResponseCycle:
            cycle.__class__ = _OneWriteCycle  # created just now by uvicorn; its task has not run yet

    def shutdown(self) -> None:
        if self._batch.pending:  # answers given this turn go out before a graceful shutdown closes the connection
            self._batch.flush()
        super().shutdown()

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        body = f"Request header fields too large (max {MAX_HEADER_BYTES} bytes)".encode()
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                             b"charset=utf-8\r\ncontent-length: " + str(len(body)).encode() +
                             b"\r\nconnection: close\r\n\r\n" + body)
        self.transport.close()
