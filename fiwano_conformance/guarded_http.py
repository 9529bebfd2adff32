"""uvicorn's httptools protocol with the limits it lacks: a deadline for the request head and a cap on its size.

Both servers of the kit (simulator and reference) ran with uvicorn's defaults, which close an idle kept-alive
connection after 5 s but put no bound on a request head being sent slowly or growing large: 500 half-open
connections stayed open for 60 s, and 1 MB of headers was read in full (issue 18 row 8). Here

- the head of every request (request line and headers) must arrive within ``HEADER_TIMEOUT_SECONDS`` of the
  connection opening or of the previous response; otherwise the connection is closed;
- a head larger than ``MAX_HEADER_BYTES`` is answered ``431 Request Header Fields Too Large`` and the
  connection closed.

Both can be changed through the environment (``FIWANO_HEADER_TIMEOUT_SECONDS``, ``FIWANO_MAX_HEADER_BYTES``).
"""

from __future__ import annotations

import asyncio
import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT_SECONDS = float(os.environ.get("FIWANO_HEADER_TIMEOUT_SECONDS", "") or 10.0)
MAX_HEADER_BYTES = int(os.environ.get("FIWANO_MAX_HEADER_BYTES", "") or 64 * 1024)
IDLE_KEEP_ALIVE_SECONDS = 5  # uvicorn's timeout_keep_alive, set explicitly by fiwano_conformance.serving


class HeadTooLarge(Exception):
    """Raised inside a parser callback: httptools stops parsing and reports a parser error."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes = 0
        self._head_too_large = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request head took over %g s", HEADER_TIMEOUT_SECONDS)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self._arm_head_timer()  # bytes of a new request head on a kept-alive connection
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
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        body = f"Request header fields too large (max {MAX_HEADER_BYTES} bytes)".encode()
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                             b"charset=utf-8\r\ncontent-length: " + str(len(body)).encode() +
                             b"\r\nconnection: close\r\n\r\n" + body)
        self.transport.close()
