"""Issue 17: a request an app answers at once (``ANSWER_NOW``) gets the bytes, the order and the connection handling
uvicorn's ASGI path gives it; anything the shortcut does not cover takes that path.

``fiwano_conformance/guarded_http.py`` asks an app's ``answer_now`` when a request's head and whole body arrived
in one read, and writes its answers together at the start of the loop's next turn. Here a toy app answers the same
text both ways (``/now`` at once, anything else through ASGI), served by the kit's protocol on a real loopback
socket, and a raw client checks each case. The simulator's side (its fast lane as ``answer_now``) is checked in
process at the end.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from fiwano_conformance.serving import bind_socket, connection_limits
from simulator.app import create_app
from simulator.client import SimulatorClient
from simulator.settings import SimulatorSettings


class ToyApp:
    """Answers ``echo:<path>:<body>`` at once for ``/now...`` paths and through ASGI for every path."""

    def __init__(self) -> None:
        self.asked: list[str] = []   # paths answer_now was asked for

    @staticmethod
    def _answer(path: str, body: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
        payload = b"echo:" + path.encode() + b":" + body
        return [(b"content-type", b"text/plain"), (b"content-length", str(len(payload)).encode())], payload

    def answer_now(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        self.asked.append(scope["path"])
        if not scope["path"].startswith("/now"):
            return None
        headers, payload = self._answer(scope["path"], body)
        return 200, headers, payload

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers, payload = self._answer(scope["path"], body)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ToyApp, int]]:
    app = ToyApp()
    sock = bind_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", **connection_limits())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    yield app, sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def _request(method: str, path: str, body: bytes = b"", extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    length = b"Content-Length: %d\r\n" % len(body) if body or method == "POST" else b""
    return b"%s %s HTTP/%s\r\nHost: x\r\n%s%s\r\n" % (method.encode(), path.encode(), version, length, extra) + body


def _answers(port: int, data: bytes | list[bytes], count: int, head_only: bool = False) -> list[tuple[bytes, bytes]]:
    """Send ``data`` (parts sent one by one) on one connection; read ``count`` answers as (head, body), or fewer if
    the server closes the connection (``head_only``: answers to HEAD, without a body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for part in [data] if isinstance(data, bytes) else data:
            sock.sendall(part)
        buffer, answers = b"", []
        while len(answers) < count:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if sep:
                match = re.search(rb"content-length: (\d+)", head)
                length = int(match.group(1)) if match and not head_only else 0
                if len(rest) >= length:
                    answers.append((head, rest[:length]))
                    buffer = rest[length:]
                    continue
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
        return answers


def _without_date(head: bytes) -> bytes:
    return re.sub(rb"\r\ndate: [^\r]*", b"", head)


def test_an_answer_given_now_is_the_asgi_answer_byte_for_byte(served) -> None:
    app, port = served
    (now_head, now_body), = _answers(port, _request("POST", "/now", b"hello"), 1)
    (asgi_head, asgi_body), = _answers(port, _request("POST", "/asg", b"hello"), 1)
    assert now_body == b"echo:/now:hello" and asgi_body == b"echo:/asg:hello"
    assert _without_date(now_head) == _without_date(asgi_head)
    assert now_head.startswith(b"HTTP/1.1 200 OK\r\n")


def test_pipelined_requests_are_answered_in_order_whichever_path_each_takes(served) -> None:
    _, port = served
    paths = ["/now-1", "/asgi-2", "/now-3", "/now-4", "/asgi-5", "/now-6"]
    data = b"".join(_request("POST", path, f"b{i}".encode()) for i, path in enumerate(paths))
    answers = _answers(port, data, len(paths))
    assert [body for _, body in answers] == [f"echo:{path}:b{i}".encode() for i, path in enumerate(paths)]


@pytest.mark.parametrize(("case", "data", "path", "count"), [
    ("Expect: 100-continue", _request("POST", "/now-expect", b"x", b"Expect: 100-continue\r\n"), "/now-expect", 2),
    ("HTTP/1.0", _request("POST", "/now-http10", b"x", version=b"1.0"), "/now-http10", 1),
    ("Connection: close", _request("POST", "/now-close", b"x", b"Connection: close\r\n"), "/now-close", 1),
    ("HEAD", _request("HEAD", "/now-head"), "/now-head", 1),
])
def test_cases_the_shortcut_leaves_to_uvicorn_are_not_asked(served, case: str, data: bytes, path: str,
                                                            count: int) -> None:
    app, port = served
    answers = _answers(port, data, count, head_only=case == "HEAD")
    assert path not in app.asked, case
    assert answers[-1][0].startswith(b"HTTP/1.1 200 OK"), case
    if case != "HEAD":
        assert answers[-1][1] == f"echo:{path}:x".encode(), case
    if count == 2:
        assert answers[0][0] == b"HTTP/1.1 100 Continue", case


def test_a_body_in_several_reads_loses_nothing(served) -> None:
    _, port = served
    request = _request("POST", "/now-split", b"0123456789" * 1000)
    parts = [request[:60], request[60:5000], request[5000:]]
    (_, body), = _answers(port, parts, 1)
    assert body == b"echo:/now-split:" + b"0123456789" * 1000


def test_many_connections_each_get_their_own_answers(served) -> None:
    _, port = served

    async def one(index: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        got = []
        for turn in range(10):
            writer.write(_request("POST", f"/now-{index}", f"{turn}".encode()))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head).group(1))
            got.append(await reader.readexactly(length))
        writer.close()
        return got

    async def all_of_them() -> list[list[bytes]]:
        return await asyncio.gather(*(one(i) for i in range(40)))

    results = asyncio.run(all_of_them())
    assert results == [[f"echo:/now-{i}:{turn}".encode() for turn in range(10)] for i in range(40)]


def test_the_simulator_answers_its_fast_lane_now_and_leaves_the_rest_to_asgi() -> None:
    app = create_app(SimulatorSettings(app_secret="s", verify_token="v"))
    client = SimulatorClient("http://testserver")
    client._http = TestClient(app)  # the control calls in process
    wa = client.create_world(["whatsapp"], enforce_window=False).asset("whatsapp")

    def scope(path: str, auth: str) -> dict[str, Any]:
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
                "headers": [(b"host", b"x"), (b"content-type", b"application/json"),
                            (b"authorization", f"Bearer {auth}".encode())]}

    send_path = f"/v21.0/{wa.phone_number_id}/messages"
    text = b'{"messaging_product":"whatsapp","to":"15551234567","type":"text","text":{"body":"hi"}}'
    status, headers, body = app.answer_now(scope(send_path, wa.access_token), text)
    assert status == 200 and b'"messages":[{"id":"wamid.' in body
    assert dict(headers)[b"content-length"] == str(len(body)).encode()
    assert app.answer_now(scope("/_sim/health", wa.access_token), b"") is None  # the control API: ASGI

    declined = scope(send_path, "not-a-token")   # the lane declines: the general path answers Meta's 190
    assert app.answer_now(declined, text) is None
    sent: list[dict] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": text, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(declined, receive, send))
    assert sent[0]["status"] == 401 and b'"code":190' in sent[1]["body"]
