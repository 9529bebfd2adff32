"""Fixtures for the simulator's own tests: a real uvicorn server, a raw-bytes webhook receiver, worlds.

The simulator runs once per session on a free loopback port (exactly as in production use); every test
gets its own world, which is also how the suites isolate parallel workers. The receiver is a stdlib
HTTP server that keeps the exact bytes and headers of every POST, so signatures are checked over the
bytes that really crossed the wire.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import uvicorn

from fiwano_conformance.serving import bind_socket, url_of
from simulator.app import create_app
from simulator.client import SimulatorClient, World
from simulator.settings import SimulatorSettings

APP_SECRET = "test-app-secret-äöü"  # non-ASCII on purpose: HMAC keys are bytes (UTF-8)
VERIFY_TOKEN = "test-verify-token"


class LiveServer:
    def __init__(self, app: Any) -> None:
        self.sock = bind_socket("127.0.0.1", 0)
        self.url = url_of(self.sock)
        config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class Receiver:
    """Records raw POST bodies/headers; answers with a scripted status; echoes the GET handshake."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.lock = threading.Lock()
        self.event = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                with receiver.event:
                    receiver.requests.append({"path": self.path, "raw": raw,
                                              "headers": {k.lower(): v for k, v in self.headers.items()}})
                    receiver.event.notify_all()
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"EVENT_RECEIVED")

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                ok = query.get("hub.mode") == ["subscribe"] and query.get("hub.verify_token") == [VERIFY_TOKEN]
                body = query.get("hub.challenge", [""])[0].encode() if ok else b"forbidden"
                self.send_response(200 if ok else 403)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/meta/webhook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def for_world(self, world: World) -> list[dict[str, Any]]:
        """Requests whose payload mentions one of the world's asset ids."""
        ids = {i for a in world.assets for i in (a.asset_id, a.waba_id, a.page_id) if i}
        out = []
        with self.lock:
            items = list(self.requests)
        for item in items:
            try:
                payload = json.loads(item["raw"])
            except ValueError:
                continue
            entry_ids = {e.get("id") for e in payload.get("entry", [])}
            if entry_ids & ids:
                out.append(item)
        return out

    def wait_for(self, world: World, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.for_world(world)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            with self.event:
                self.event.wait(0.05)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.stop()


@pytest.fixture(scope="session")
def settings(receiver: Receiver) -> SimulatorSettings:
    return SimulatorSettings(app_secret=APP_SECRET, verify_token=VERIFY_TOKEN, target_webhook_url=receiver.url,
                             async_status_delay_seconds=0.0)


@pytest.fixture(scope="session")
def live(settings: SimulatorSettings) -> Iterator[LiveServer]:
    server = LiveServer(create_app(settings)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sim(live: LiveServer) -> Iterator[SimulatorClient]:
    with SimulatorClient(live.url) as client:
        yield client


@pytest.fixture
def graph(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        yield client


@pytest.fixture
def world(sim: SimulatorClient) -> Iterator[World]:
    w = sim.create_world(["whatsapp", "facebook", "instagram"], label="test")
    yield w
    sim.delete_world(w.world_id)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
