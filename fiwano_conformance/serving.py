"""Run an ASGI app on a real uvicorn server bound to a socket we create ourselves.

Binding the socket here (port 0 means "any free port") and reporting the bound URL through a ready file
lets a parent process start servers on free loopback ports without the bind-then-close race.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any, Callable

import uvicorn


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
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


class _ReadyServer(uvicorn.Server):
    """A uvicorn server that writes its URL to a file once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready_file: Path | None, url: str) -> None:
        super().__init__(config)
        self._ready_file = ready_file
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
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
