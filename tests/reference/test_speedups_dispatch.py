"""Dispatch equivalence (reference/speedups/dispatch.py): the same requests through the direct path (the
``speedups`` setting on) and through plain FastAPI (off) give the same status, the headers a client reads and
the same body, for every hot route, in its successes and in each way it refuses (auth, rate-limit headers,
subscription, validation, unknown ids, malformed bodies, body caps, Meta's signature).
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reference.app import create_app
from reference.bodylimit import BodyLimitedApp
from reference.speedups.dispatch import FastDispatchApp
from tests.reference.conftest import APP_SECRET, Ctx, Sink, make_settings
from tests.reference.fake_meta import FakeMeta, FakeMetaTransport, sign, wa_text

#: answer headers a client of the API reads (not the server's date or length, which the body comparison covers)
HEADERS = ("content-type", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
           "www-authenticate", "allow", "location")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def _normalised(text: str, names: dict[str, str]) -> str:
    """The body with the run's own ids (accounts, keys, channels, messages) and times replaced by placeholders."""
    for value, name in names.items():
        text = text.replace(value, name)
    return _TIME.sub("<time>", _UUID.sub("<uuid>", text))


def _exchange(ctx: Ctx) -> list[tuple[int, dict[str, str], str, list[tuple[str, str]]]]:
    pro = ctx.account()
    starter = ctx.account(tier="starter")
    expired = ctx.account(status="expired")
    wa = ctx.connect(pro, "whatsapp")
    fb = ctx.connect(pro, "facebook")
    starter_wa = ctx.connect(starter, "whatsapp", phone_number_id="1002", waba_id="2002", token="tok-wa2")
    expired_fb = ctx.connect(expired, "facebook", page_id="3003", token="tok-fb3")
    ctx.hook(pro, wa, ["message.received"])
    names = {pro["api_key"]: "<pro-key>", starter["api_key"]: "<starter-key>", expired["api_key"]: "<expired-key>",
             pro["account_id"]: "<pro>", wa["id"]: "<wa>", fb["id"]: "<fb>", starter_wa["id"]: "<starter-wa>",
             expired_fb["id"]: "<expired-fb>"}
    good_hook = json.dumps(wa_text("1001", "15551234", "hello")).encode()
    text = {"channel_id": wa["id"], "recipient": "15551234", "text": "hi"}
    media = {"channel_id": wa["id"], "recipient": "15551234", "media_type": "image",
             "media_url": "https://cdn.example/a.png"}
    template = {"channel_id": wa["id"], "recipient": "15551234", "template_name": "order_ready",
                "language": "en_US"}
    requests: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("GET", "/api/v1/channels", pro, {}),
        ("GET", "/api/v1/channels", None, {}),
        ("GET", "/api/v1/channels", "mip_live_" + "A" * 43, {}),
        ("GET", "/api/v1/channels", "not-a-key", {}),
        ("GET", "/api/v1/channels", starter, {}),
        ("GET", f"/api/v1/channels/{wa['id']}/templates", pro, {}),
        ("GET", f"/api/v1/channels/{fb['id']}/templates", pro, {}),
        ("GET", "/api/v1/channels/ch_unknown/templates", pro, {}),
        ("GET", f"/api/v1/channels/{starter_wa['id']}/templates", starter, {}),
        ("POST", "/api/v1/messages/send", pro, {"json": text}),
        ("POST", "/api/v1/messages/send", pro, {"json": {**text, "channel_id": fb["id"], "recipient": "7890"}}),
        ("POST", "/api/v1/messages/send", pro, {"json": {**text, "text": "a" * 4097}}),
        ("POST", "/api/v1/messages/send", pro, {"json": {**text, "channel_id": "ch_unknown"}}),
        ("POST", "/api/v1/messages/send", pro, {"json": {"channel_id": wa["id"]}}),
        ("POST", "/api/v1/messages/send", pro, {"content": b"{nope", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/api/v1/messages/send", pro, {"content": b"x" * (1_048_576 + 1)}),
        ("POST", "/api/v1/messages/send", expired, {"json": {**text, "channel_id": expired_fb["id"]}}),
        ("POST", "/api/v1/messages/send", None, {"json": text}),
        ("POST", "/api/v1/messages/send-media", pro, {"json": media}),
        ("POST", "/api/v1/messages/send-media", starter, {"json": {**media, "channel_id": starter_wa["id"]}}),
        ("POST", "/api/v1/messages/send-media", pro, {"json": {**media, "media_type": "hologram"}}),
        ("POST", "/api/v1/messages/send-template", pro, {"json": template}),
        ("POST", "/api/v1/messages/send-template", starter, {"json": {**template, "channel_id": starter_wa["id"]}}),
        ("POST", "/api/v1/messages/send-template", pro, {"json": {"channel_id": fb["id"]}}),
        ("POST", "/meta/webhook", None, {"content": good_hook,
                                         "headers": {"X-Hub-Signature-256": sign(good_hook, APP_SECRET)}}),
        ("POST", "/meta/webhook", None, {"content": good_hook, "headers": {"X-Hub-Signature-256": "sha256=" + "0" * 64}}),
        ("POST", "/meta/webhook", None, {"content": b"{nope", "headers": {"X-Hub-Signature-256": sign(b"{nope", APP_SECRET)}}),
        ("POST", "/meta/webhook", None, {"content": good_hook,
                                         "headers": {"X-Hub-Signature-256": sign(good_hook, APP_SECRET)}}),
        ("DELETE", "/api/v1/messages/send", pro, {}),
        ("GET", "/api/v1/channels/", pro, {"follow_redirects": False}),
    ]
    answers = []
    for method, path, key, options in requests:
        headers = dict(options.pop("headers", {}))
        if key is not None:
            headers["X-API-Key"] = key["api_key"] if isinstance(key, dict) else key
        response = ctx.client.request(method, path, headers=headers, **options)
        ctx.settle()
        # every header of the answer, in order, as sent (the direct path builds them itself: byte for byte)
        raw = [(name.decode("latin-1"), _normalised(value.decode("latin-1"), names))
               for name, value in response.headers.raw]
        answers.append((response.status_code, {h: response.headers[h] for h in HEADERS if h in response.headers},
                        _normalised(response.text, names), raw))
    answers.append((len(ctx.sink.requests), {}, json.dumps(sorted(r.url.path for r in ctx.sink.requests)), []))
    answers.append((len(ctx.fake.sends()), {}, json.dumps([(c["path"], c["json"]) for c in ctx.fake.sends()]), []))
    return answers


#: the requests of :func:`_exchange` the direct path answers, in order
HOT = (["GET /api/v1/channels"] * 5 + ["GET /api/v1/channels/ID/templates"] * 4 + ["POST /api/v1/messages/send"] * 8
       + ["POST /api/v1/messages/send-media"] * 3 + ["POST /api/v1/messages/send-template"] * 3
       + ["POST /meta/webhook"] * 4)


def _run(tmp_path, speedups: bool, taken: list[str]) -> list[tuple[int, dict[str, str], str, list[tuple[str, str]]]]:
    fake, sink = FakeMeta(), Sink()
    app = create_app(make_settings(tmp_path / ("fast" if speedups else "plain"), speedups=speedups),
                     meta_transport=FakeMetaTransport(fake), webhook_transport=httpx.MockTransport(sink.handler))
    assert isinstance(app, FastDispatchApp) is speedups and isinstance(app, BodyLimitedApp)
    with TestClient(app) as client:
        return _exchange(Ctx(client, fake, sink))


@pytest.fixture
def taken(monkeypatch) -> list[str]:
    """The paths the direct path answered."""
    calls: list[str] = []
    fast, fast_plain = FastDispatchApp._fast, FastDispatchApp._fast_plain

    async def spy(self, endpoint, scope, receive, send, *args):
        calls.append(f"{scope['method']} {scope['path']}")
        await fast(self, endpoint, scope, receive, send, *args)

    async def spy_plain(self, endpoint, scope, receive, send):
        calls.append(f"{scope['method']} {scope['path']}")
        await fast_plain(self, endpoint, scope, receive, send)

    monkeypatch.setattr(FastDispatchApp, "_fast", spy)
    monkeypatch.setattr(FastDispatchApp, "_fast_plain", spy_plain)
    return calls


def test_the_direct_path_and_fastapi_give_the_same_answers(tmp_path, taken):
    (tmp_path / "fast").mkdir()
    (tmp_path / "plain").mkdir()
    plain = _run(tmp_path, False, taken)
    assert taken == []
    fast = _run(tmp_path, True, taken)
    for index, (fast_answer, plain_answer) in enumerate(zip(fast, plain, strict=True)):
        assert fast_answer == plain_answer, f"request {index}"
    # every request to a hot route was answered by the direct path, except the one over the body cap (a 413
    # before any routing); the 405 and the redirect of a trailing slash went to FastAPI
    assert [re.sub(r"/channels/[^/]+/", "/channels/ID/", call) for call in taken] == HOT
    assert [status for status, _, _, _ in plain[:-2]] == [
        200, 401, 401, 401, 200, 200, 400, 404, 402, 200, 200, 400, 404, 422, 422, 413, 402, 401, 200, 402, 422,
        400, 402, 422, 200, 401, 400, 200, 405, 307]



@pytest.mark.parametrize("speedups", [True, False], ids=["direct", "fastapi"])
def test_an_unexpected_error_is_a_500_with_the_same_body_and_reaches_the_server_log(tmp_path, taken, speedups):
    """An error no handler takes: the app's 500 answer, then the error re-raised (the server logs it)."""
    fake, sink = FakeMeta(), Sink()
    app = create_app(make_settings(tmp_path, speedups=speedups), meta_transport=FakeMetaTransport(fake),
                     webhook_transport=httpx.MockTransport(sink.handler))
    with TestClient(app, raise_server_exceptions=False) as client:
        ctx = Ctx(client, fake, sink)
        account = ctx.account()

        def broken(account_id: str) -> list[Any]:
            raise RuntimeError("disk on fire")

        ctx.comps.channels.list_for_account = broken
        response = ctx.api("GET", "/channels", account)
    assert (response.status_code, response.json()) == (500, {"detail": "Internal server error"})
    assert taken == (["GET /api/v1/channels"] if speedups else [])
    with TestClient(app) as client, pytest.raises(RuntimeError, match="disk on fire"):
        client.app.state.components.channels.list_for_account = broken
        client.get("/api/v1/channels", headers={"X-API-Key": account["api_key"]})


@pytest.mark.parametrize("messages", [
    [{"type": "http.request", "body": b"abc"}],
    [{"type": "http.request"}],
    [{"type": "http.request", "body": b"a", "more_body": True}, {"type": "http.request", "body": b"b"}],
    [{"type": "http.disconnect"}],
    [{"type": "http.request", "body": b"a", "more_body": True}],
], ids=["one-message", "empty", "two-messages", "disconnect", "disconnect-midway"])
def test_the_direct_paths_request_reads_a_body_as_starlettes_does(messages):
    import asyncio

    from starlette.requests import Request

    from reference.speedups.dispatch import _DirectRequest

    async def read(cls):
        pending = list(messages)

        async def receive():
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        request = cls({"type": "http", "method": "POST", "path": "/", "headers": []}, receive)
        try:
            first = await request.body()
            return first, await request.body(), [chunk async for chunk in request.stream()], request._stream_consumed
        except Exception as exc:  # noqa: BLE001 - the error is part of what is compared
            return type(exc).__name__

    assert asyncio.run(read(_DirectRequest)) == asyncio.run(read(Request))


def test_the_direct_paths_answers_go_out_in_one_write_with_the_bytes_uvicorn_writes(tmp_path):
    """The direct path marks its JSON answers ``ONE_WRITE``: through the kit's server cycle (one write) they are the
    bytes uvicorn's own cycle writes for the same messages without the mark (two writes)."""
    import asyncio
    import logging

    from uvicorn.protocols.http.flow_control import FlowControl
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    from fiwano_conformance.guarded_http import _OneWriteCycle
    from fiwano_conformance.shared.asgi import ONE_WRITE

    fake, sink = FakeMeta(), Sink()
    app = create_app(make_settings(tmp_path, speedups=True), meta_transport=FakeMetaTransport(fake),
                     webhook_transport=httpx.MockTransport(sink.handler))
    answers: list[list[dict[str, Any]]] = []

    class Recording:  # the app, with every message it sends recorded
        state = app.state

        async def __call__(self, scope, receive, send):
            messages: list[dict[str, Any]] = []
            if scope["type"] == "http":
                answers.append(messages)

            async def record(message):
                messages.append(message)
                await send(message)

            await app(scope, receive, record)

    with TestClient(Recording()) as client:
        ctx = Ctx(client, fake, sink)
        pro = ctx.account()
        wa = ctx.connect(pro, "whatsapp")
        answers.clear()
        key = {"X-API-Key": pro["api_key"]}
        assert client.get("/api/v1/channels", headers=key).status_code == 200
        assert client.post("/api/v1/messages/send", headers=key,
                           json={"channel_id": wa["id"], "recipient": "15551234", "text": "hi"}).status_code == 200
        assert client.post("/api/v1/messages/send", headers=key, json={"channel_id": "nope"}).status_code == 422

    class Transport:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.writes.append(bytes(data))

        def close(self) -> None:
            pass

        def is_closing(self) -> bool:
            return False

        def pause_reading(self) -> None:
            pass

        def resume_reading(self) -> None:
            pass

    def written(cycle_class: type, messages: list[dict[str, Any]]) -> list[bytes]:
        transport = Transport()
        cycle = cycle_class(scope={"type": "http", "method": "POST"}, transport=transport,
                            flow=FlowControl(transport), logger=logging.getLogger("test"),
                            access_logger=logging.getLogger("test.access"), access_log=False,
                            default_headers=[(b"server", b"uvicorn"), (b"date", b"Mon, 07 Dec 2026 02:40:00 GMT")],
                            message_event=asyncio.Event(), expect_100_continue=False, keep_alive=True,
                            on_response=lambda: None)

        async def send_all():
            for message in messages:
                await cycle.send(message)

        asyncio.run(send_all())
        return transport.writes

    assert [ONE_WRITE in messages[0] for messages in answers] == [True, True, False]  # the 422 is FastAPI's handler's
    for messages in answers[:2]:
        unmarked = [{k: v for k, v in message.items() if k != ONE_WRITE} for message in messages]
        one = written(_OneWriteCycle, messages)
        assert len(one) == 1
        assert one == [b"".join(written(RequestResponseCycle, unmarked))]
        assert b"\r\nx-ratelimit-remaining: " in one[0]
