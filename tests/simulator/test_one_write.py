"""Issue 17: an answer started with ``ONE_WRITE`` goes out in one write, with the bytes and the state uvicorn gives.

``fiwano_conformance/guarded_http.py`` builds the response head itself for such answers (uvicorn writes the head
and the body in two writes and checks every header with two regular expressions). Here the same messages go
through uvicorn's own cycle and through the kit's, on a recording transport: the bytes on the wire, the number
of writes and what the cycle leaves (complete, keep-alive, closed) must be the same, and everything unusual must
fall back to uvicorn's path with uvicorn's errors.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi.testclient import TestClient
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from fiwano_conformance.guarded_http import _OneWriteCycle
from fiwano_conformance.shared.asgi import ONE_WRITE
from simulator.app import create_app
from simulator.client import SimulatorClient
from simulator.graph import pipeline
from simulator.settings import SimulatorSettings

BODY = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}'
HEADERS = [(b"x-fb-trace-id", b"AbCdEf-_1234"), (b"x-fb-request-id", b"ZyXw-_987654"),
           (b"facebook-api-version", b"v21.0"), (b"x-app-usage", b'{"call_count":1}'),
           (b"content-length", str(len(BODY)).encode()), (b"content-type", b"application/json")]
DEFAULTS = [(b"server", b"uvicorn"), (b"date", b"Mon, 07 Dec 2026 02:40:00 GMT")]


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _run(cycle_class: type, messages: list[dict], method: str = "POST", keep_alive: bool = True):
    transport = RecordingTransport()
    completed = []
    cycle = cycle_class(scope={"type": "http", "method": method}, transport=transport, flow=FlowControl(transport),
                        logger=logging.getLogger("test"), access_logger=logging.getLogger("test.access"),
                        access_log=False, default_headers=list(DEFAULTS), message_event=asyncio.Event(),
                        expect_100_continue=False, keep_alive=keep_alive, on_response=lambda: completed.append(1))

    async def send_all():
        try:
            for message in messages:
                await cycle.send(message)
        except RuntimeError as exc:
            return str(exc)
        return None

    error = asyncio.run(send_all())
    return (transport.writes, error, transport.closed, cycle.response_started, cycle.response_complete,
            cycle.expected_content_length, completed)


def _messages(status: int = 200, headers=HEADERS, body: bytes = BODY, length: int | None = None,
              more_body: bool = False) -> tuple[list[dict], list[dict]]:
    """(the messages without the key, the same with it)."""
    plain = {"type": "http.response.start", "status": status, "headers": list(headers)}
    marked = {**plain, ONE_WRITE: len(body) if length is None else length}
    body_message = {"type": "http.response.body", "body": body, "more_body": more_body}
    return [plain, body_message], [marked, body_message]


@pytest.mark.parametrize("keep_alive", [True, False])
@pytest.mark.parametrize("status", [200, 400, 404, 500])
def test_the_one_write_is_uvicorns_two_writes_joined(status: int, keep_alive: bool) -> None:
    plain, marked = _messages(status)
    writes, *state = _run(RequestResponseCycle, plain, keep_alive=keep_alive)
    one_writes, *one_state = _run(_OneWriteCycle, marked, keep_alive=keep_alive)
    assert len(writes) == 2 and len(one_writes) == 1
    assert one_writes[0] == b"".join(writes)
    assert one_state == state
    assert state[1] is (not keep_alive)  # closed after the answer when the client did not keep the connection


@pytest.mark.parametrize(("case", "method", "more_body", "length_sent"), [
    ("HEAD request", "HEAD", False, None),
    ("body in parts", "POST", True, None),
    ("body longer than promised", "POST", False, len(BODY) - 1),
    ("body shorter than promised", "POST", False, len(BODY) + 1),
])
def test_anything_else_takes_uvicorns_path_with_its_bytes_and_errors(case: str, method: str, more_body: bool,
                                                                     length_sent: int | None) -> None:
    headers = HEADERS if length_sent is None else [
        *HEADERS[:4], (b"content-length", str(length_sent).encode()), HEADERS[5]]
    plain, marked = _messages(headers=headers, length=length_sent, more_body=more_body)
    expected = _run(RequestResponseCycle, plain, method=method)
    got = _run(_OneWriteCycle, marked, method=method)
    assert b"".join(got[0]) == b"".join(expected[0]), case
    assert got[1:] == expected[1:], case


def test_an_unmarked_answer_is_written_by_uvicorn_itself() -> None:
    plain, _ = _messages()
    assert _run(_OneWriteCycle, plain) == _run(RequestResponseCycle, plain)


def test_the_simulator_vouches_only_for_headers_uvicorn_accepts() -> None:
    headers, plain = pipeline._constant_raw_headers("v21.0", "123", "whatsapp_business_management")
    assert plain and all(name == name.lower() for name, _ in headers)
    assert pipeline._constant_raw_headers("v21.0\r\nx: y", None, None)[1] is False  # it would split the head
    assert pipeline._constant_raw_headers("v21.0\x7f", None, None)[1] is False


def test_the_simulators_answers_are_marked() -> None:
    """A text send through the app: its start message carries ONE_WRITE with the body's length."""
    app = create_app(SimulatorSettings(app_secret="s", verify_token="v"))
    client = SimulatorClient("http://testserver")
    client._http = TestClient(app)  # the control calls in process
    wa = client.create_world(["whatsapp"], enforce_window=False).asset("whatsapp")
    body = (b'{"messaging_product":"whatsapp","to":"15551234567","type":"text","text":{"body":"hi"}}')
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": f"/v21.0/{wa.phone_number_id}/messages", "raw_path": b"", "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
             "headers": [(b"host", b"x"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {wa.access_token}".encode())]}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200
    assert sent[0][ONE_WRITE] == len(sent[1]["body"])
    assert dict(sent[0]["headers"])[b"content-length"] == str(len(sent[1]["body"])).encode()


def test_a_marked_answer_sends_the_messages_of_an_unmarked_one() -> None:
    """Under any other ASGI server (which ignores the key) the answer is the same."""
    marked = pipeline.RawResponse.ready(BODY, 200, list(HEADERS), one_write=True)
    unmarked = pipeline.RawResponse.ready(BODY, 200, list(HEADERS))
    sent: dict[str, list[dict]] = {"marked": [], "unmarked": []}
    for name, response in (("marked", marked), ("unmarked", unmarked)):
        async def send(message, name=name):
            sent[name].append(message)

        asyncio.run(response({}, None, send))
    assert sent["marked"][0].pop(ONE_WRITE) == len(BODY)
    assert sent["marked"] == sent["unmarked"]
