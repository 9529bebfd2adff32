"""Inbound events are never lost between "saved" and "relayed", whatever stops the process in between.

1. A Pro media message whose download is in flight when the process stops is still relayed after a restart.
   Meta gets its 200 as soon as the message is saved; the download runs afterwards. Before the fix it was a
   plain background task: a restart (graceful, or kill -9) while it ran lost the message.received event for
   good (Meta does not resend an answered webhook, and a resent one is dropped as a duplicate).
2. A failure between saving a message (or a status) and persisting its delivery leaves nothing behind, so
   Meta's resend of the unanswered webhook is relayed. Before the fix the message was committed on its own
   and the resend was dropped as a duplicate: the event was lost.
"""

from __future__ import annotations

import asyncio
import json

import httpx
from fastapi.testclient import TestClient

from reference.app import create_app
from tests.reference.conftest import APP_SECRET, Ctx, make_settings
from tests.reference.fake_meta import FakeMetaTransport, sign, wa_message, wa_status, wa_text
from tests.reference.test_relay import _setup

JPEG = b"\xff\xd8\xff" + b"j" * 2000


class HeldDownloads(httpx.AsyncBaseTransport):
    """The fake Meta, except that file downloads never answer (the process stops while they wait)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.held = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "/_cdn/files/" in request.url.path:
            self.held += 1
            await asyncio.sleep(3600)
        return await self.inner.handle_async_request(request)


def test_media_relay_survives_a_restart_during_the_download(tmp_path, fake_meta, sink):
    fake_meta.media["555"] = (JPEG, "image/jpeg")
    held = HeldDownloads(FakeMetaTransport(fake_meta))

    def start(transport):
        return create_app(make_settings(tmp_path), meta_transport=transport,
                          webhook_transport=httpx.MockTransport(sink.handler))

    with TestClient(start(held)) as client:
        ctx = Ctx(client, fake_meta, sink)
        account = ctx.account("pro")
        channel = ctx.connect(account, "whatsapp")
        ctx.hook(account, channel, ["message.received"])
        body = json.dumps(wa_message("1001", {"from": "15551234", "id": "wamid.HELD", "timestamp": "1736937000",
                                              "type": "image", "image": {"id": "555", "mime_type": "image/jpeg"}}))
        answer = client.post("/meta/webhook", content=body.encode(),
                             headers={"X-Hub-Signature-256": sign(body.encode(), APP_SECRET),
                                      "Content-Type": "application/json"})
        assert answer.status_code == 200  # Meta is answered; the download is still to come
        assert asyncio.run(_wait_for(lambda: held.held >= 1)), "the download never started"
        assert sink.requests == []
    # stopped while the download was held; a new process on the same database finishes the job
    with TestClient(start(FakeMetaTransport(fake_meta))) as client:
        ctx = Ctx(client, fake_meta, sink)
        ctx.settle()
        ctx.advance(31)  # whatever delay the interrupted job was given
        bodies = sink.bodies()
        assert len(bodies) == 1, bodies
        data = bodies[0]["data"]
        assert data["message_id"] == "wamid.HELD" and data["type"] == "image"
        media = data["media"]
        assert media["file_size"] == len(JPEG) and media["download_url"]
        got = ctx.api("GET", f"/media/{media['media_id']}", account)
        assert got.status_code == 200 and got.content == JPEG
        ctx.advance(31)
        assert len(sink.requests) == 1  # relayed once, not once per restart or retry


async def _wait_for(condition, timeout: float = 10.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return False


def _fail_first_emit(ctx) -> None:
    relay = ctx.comps.relay
    original = relay.emit
    calls = []

    def emit(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 1:
            raise RuntimeError("the process died between saving the event and persisting its delivery")
        return original(*args, **kwargs)

    relay.emit = emit


def _unanswered(ctx, payload) -> None:
    try:
        response = ctx.meta_webhook(payload)
    except RuntimeError:
        return  # TestClient re-raises what the app's catch-all turned into a 500
    assert response.status_code == 500


def test_failure_before_the_delivery_is_persisted_leaves_no_half_saved_message(ctx):
    _setup(ctx)
    _fail_first_emit(ctx)
    payload = wa_text("1001", "15551234", "all or nothing", mid="wamid.ATOMIC")
    _unanswered(ctx, payload)
    assert ctx.comps.deliveries.list() == []
    assert ctx.meta_webhook(payload).status_code == 200  # Meta resends what was not answered 2xx
    assert [b["data"]["text"] for b in ctx.sink.bodies()] == ["all or nothing"]


def test_failure_before_a_status_event_is_persisted_leaves_the_status_unchanged(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    ctx.hook(account, channel, ["message.delivered"])
    sent = ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "15551234", "text": "hi"}).json()
    wamid = ctx.comps.messages.get(sent["message_id"]).meta_message_id
    _fail_first_emit(ctx)
    _unanswered(ctx, wa_status("1001", wamid, "delivered"))
    assert ctx.comps.messages.get(sent["message_id"]).status == "accepted"
    assert ctx.meta_webhook(wa_status("1001", wamid, "delivered")).status_code == 200
    assert [(b["event"], b["data"]["message_id"]) for b in ctx.sink.bodies()] == [
        ("message.delivered", sent["message_id"])]
