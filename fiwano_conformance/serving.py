"""Run an ASGI app on a real uvicorn server bound to a socket we create ourselves.

Binding the socket here (port 0 means "any free port") and reporting the bound URL through a ready file
lets a parent process start servers on free loopback ports without the bind-then-close race.

The listening socket is served by :class:`AcceptAll`, not by the event loop's own server: uvloop (libuv 1.52)
accepts ONE connection per event-loop iteration, so while the loop is saturated (each iteration runs every
request read in the previous one: ~150 ms on the embedded pair under a 1,000-key load) a burst of new
connections waits in the kernel's accept queue at a few per second. 300 users joining a saturated reference
waited over 30 s for their first answer and timed out (docs/benchmarks.md, "the load side's direct client").
asyncio's own loop accepts up to the backlog per iteration; ``AcceptAll`` does the same on any loop.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any, Callable

import uvicorn

BACKLOG = 2048
_ACCEPT_PAUSE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
log = logging.getLogger("fiwano.serving")


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, scheme: str = "http") -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def connection_limits() -> dict[str, Any]:
    """uvicorn settings bounding what one connection can hold (issue 18 row 8): a deadline and a size cap for
    the request head (fiwano_conformance.guarded_http), the idle keep-alive timeout, and for the h11 fallback
    h11's own cap on an incomplete request head."""
    try:
        from fiwano_conformance.guarded_http import IDLE_KEEP_ALIVE_SECONDS, MAX_HEADER_BYTES, GuardedHttpToolsProtocol
    except ImportError:  # httptools missing: uvicorn's h11 protocol, which caps the head but has no deadline
        return {"http": "h11", "h11_max_incomplete_event_size": 64 * 1024, "timeout_keep_alive": 5}
    return {"http": GuardedHttpToolsProtocol, "timeout_keep_alive": IDLE_KEEP_ALIVE_SECONDS,
            "h11_max_incomplete_event_size": MAX_HEADER_BYTES}


class AcceptAll:
    """Serves a listening socket by accepting every pending connection whenever it is readable (up to the
    backlog per wake-up, as asyncio's selector loop does), each handed to the loop as an accepted socket.

    Stands where uvicorn keeps its ``asyncio.Server`` (``close``, ``wait_closed``). Out of file descriptors, it
    stops reading the socket for a second, as asyncio does; the pending connections wait in the kernel.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                 protocol_factory: Callable[[], asyncio.Protocol], ssl: Any = None) -> None:
        sock.setblocking(False)
        self._loop, self._sock, self._factory, self._ssl = loop, sock, protocol_factory, ssl
        self._serving = False
        self._pending: set[asyncio.Task] = set()
        self._resume()

    def _resume(self) -> None:
        if not self._serving and self._sock.fileno() >= 0:
            self._serving = True
            self._loop.add_reader(self._sock.fileno(), self._accept_pending)

    def _pause(self) -> None:
        if self._serving:
            self._serving = False
            self._loop.remove_reader(self._sock.fileno())

    def _accept_pending(self) -> None:
        for _ in range(BACKLOG):
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _ACCEPT_PAUSE_ERRORS:
                    raise
                log.warning("accept failed (%s): not accepting for 1 s", exc)
                self._pause()
                self._loop.call_later(1.0, self._resume)
                return
            conn.setblocking(False)
            task = self._loop.create_task(self._connect(conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn, ssl=self._ssl)
        except OSError:   # the client went away before it was set up (reset), or a TLS handshake failed
            conn.close()

    def close(self) -> None:
        self._pause()

    async def wait_closed(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


class _ReadyServer(uvicorn.Server):
    """A uvicorn server that writes its URL to a file once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready_file: Path | None, url: str) -> None:
        super().__init__(config)
        self._ready_file = ready_file
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own startup (lifespan, state) with no listener of its own; then AcceptAll on each socket
        await super().startup(sockets=[])
        if self.started:
            loop = asyncio.get_running_loop()
            config = self.config

            def create_protocol() -> asyncio.Protocol:   # what uvicorn's startup builds for loop.create_server
                return config.http_protocol_class(config=config, server_state=self.server_state,  # type: ignore[call-arg]
                                                  app_state=self.lifespan.state)

            self.servers = [AcceptAll(loop, sock, create_protocol, ssl=config.ssl)  # type: ignore[misc]
                            for sock in sockets or []]
        if self._ready_file is not None and self.started:
            tmp = self._ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"url": self._url, "pid": os.getpid()}))
            tmp.replace(self._ready_file)


def serve(app_factory: Callable[[str], Any], host: str = "127.0.0.1", port: int = 0,
          ready_file: str | Path | None = None, log_level: str = "warning",
          graceful_seconds: float | None = None) -> None:
    """Serve the app that ``app_factory(url)`` builds until interrupted.

    The factory receives the bound URL, so an app can know its own public address even on port 0.
    ``{"url", "pid"}`` is written to ``ready_file`` once the server accepts connections. On SIGTERM,
    requests still open after ``graceful_seconds`` are cancelled (None: wait for them all).
    """
    sock = bind_socket(host, port)
    url = url_of(sock)
    app = app_factory(url)
    print(f"serving on {url}", flush=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=graceful_seconds, **connection_limits())
    server = _ReadyServer(config, Path(ready_file) if ready_file else None, url)
    server.run(sockets=[sock])
