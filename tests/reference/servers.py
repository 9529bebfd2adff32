"""Run ASGI apps on real uvicorn servers (loopback, free port) in background threads."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from fiwano_conformance.serving import bind_socket


class ServerThread:
    """Serve ``app``, or ``factory(bound_url)`` for apps that need to know their own URL."""

    def __init__(self, app: Any = None, *, factory: Any = None, certfile: str | None = None,
                 keyfile: str | None = None) -> None:
        self.sock = bind_socket("127.0.0.1", 0)
        host, port = self.sock.getsockname()[:2]
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://{host}:{port}"
        if factory is not None:
            app = factory(self.url)
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False,
                                ssl_certfile=certfile, ssl_keyfile=keyfile)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class RecordingSink:
    """A minimal ASGI app that records raw bodies/headers and answers a scripted status (default 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[int] = []
        self.event = threading.Event()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append({"path": scope["path"], "headers": headers, "body": body, "at": time.time()})
        status = self.script.pop(0) if self.script else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        self.event.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} deliveries, got {len(self.requests)}")
            time.sleep(0.01)
