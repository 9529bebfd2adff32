from __future__ import annotations

import json

import httpx
import pytest

from tests.reference.fake_meta import wa_text


def _setup(ctx, tier="pro", status="active"):
    account = ctx.account(tier, status)
    channel = ctx.connect(account, "whatsapp")
    hook = ctx.hook(account, channel, ["message.received"])
    return account, channel, hook


def test_retry_schedule_and_identical_bytes(ctx):
    _setup(ctx)
    ctx.sink.script = [500, 404, 429, 410, httpx.ConnectError("boom"), 500, 500, 500, 500]
    ctx.meta_webhook(wa_text("1001", "15551234", "retry me"))
    assert len(ctx.sink.requests) == 1
    gaps = [30, 60, 120, 120, 120, 120, 120]
    for gap in gaps:
        ctx.advance(gap - 1)
        before = len(ctx.sink.requests)
        ctx.advance(1)
        assert len(ctx.sink.requests) == before + 1
    assert len(ctx.sink.requests) == 8  # 1 + 7 retries
    ctx.advance(3600)
    assert len(ctx.sink.requests) == 8
    bodies = {r.content for r in ctx.sink.requests}
    signatures = {r.headers["x-webhook-signature"] for r in ctx.sink.requests}
    assert len(bodies) == 1 and len(signatures) == 1
    (delivery,) = ctx.comps.deliveries.list()
    assert delivery.state == "failed" and delivery.attempts == 8


def test_success_after_failures_stops(ctx):
    _setup(ctx)
    ctx.sink.script = [503, 201]
    ctx.meta_webhook(wa_text("1001", "15551234", "x"))
    ctx.advance(30)
    ctx.advance(600)
    assert len(ctx.sink.requests) == 2
    assert ctx.comps.deliveries.list()[0].state == "delivered"


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_any_2xx_is_success(ctx, status):
    _setup(ctx)
    ctx.sink.script = [status]
    ctx.meta_webhook(wa_text("1001", "15551234", "x"))
    ctx.advance(600)
    assert len(ctx.sink.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 400, 410, 500])
def test_non_2xx_is_retried(ctx, status):
    _setup(ctx)
    ctx.sink.script = [status]
    ctx.meta_webhook(wa_text("1001", "15551234", "x"))
    ctx.advance(30)
    assert len(ctx.sink.requests) == 2


def test_secret_rotation_applies_to_next_delivery(ctx):
    account, channel, _ = _setup(ctx)
    ctx.sink.script = [500]
    ctx.meta_webhook(wa_text("1001", "15551234", "x"))
    ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_secret": "rotated-secret-0001"})
    ctx.advance(30)
    import hashlib
    import hmac

    second = ctx.sink.requests[1]
    assert second.headers["x-webhook-signature"] == "sha256=" + hmac.new(
        b"rotated-secret-0001", second.content, hashlib.sha256).hexdigest()


def test_blocked_subscription_holds_then_forwards(ctx):
    account, channel, _ = _setup(ctx, "pro", "expired")
    ctx.meta_webhook(wa_text("1001", "15551234", "while blocked", mid="wamid.B1"))
    ctx.advance(3600)
    assert ctx.sink.requests == []
    assert ctx.comps.db.one("SELECT COUNT(*) FROM messages WHERE direction = 'in'")[0] == 1
    response = ctx.client.put(f"/harness/accounts/{account['account_id']}/subscription",
                              json={"subscription_status": "active"})
    assert response.status_code == 200 and response.json()["subscription"]["status"] == "active"
    ctx.settle()
    assert [b["data"]["text"] for b in ctx.sink.bodies()] == ["while blocked"]
    sent = ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "1", "text": "now ok"})
    assert sent.status_code == 200


def test_relay_survives_restart(tmp_path, fake_meta, sink):
    from fastapi.testclient import TestClient

    from reference.app import create_app
    from tests.reference.conftest import Ctx, make_settings
    from tests.reference.fake_meta import FakeMetaTransport

    def start():
        return create_app(make_settings(tmp_path), meta_transport=FakeMetaTransport(fake_meta),
                          webhook_transport=httpx.MockTransport(sink.handler))

    with TestClient(start()) as client:
        ctx = Ctx(client, fake_meta, sink)
        _setup(ctx)
        sink.script = [500]
        ctx.meta_webhook(wa_text("1001", "15551234", "durable"))
        assert len(sink.requests) == 1
    with TestClient(start()) as client:
        ctx = Ctx(client, fake_meta, sink)
        ctx.advance(31)
        assert len(sink.requests) == 2
        assert sink.requests[0].content == sink.requests[1].content
        assert json.loads(sink.requests[1].content)["data"]["text"] == "durable"


def test_send_queue_survives_restart(tmp_path, fake_meta, sink):
    from fastapi.testclient import TestClient

    from reference.app import create_app
    from tests.reference.conftest import Ctx, make_settings
    from tests.reference.fake_meta import FakeMetaTransport

    def start():
        return create_app(make_settings(tmp_path), meta_transport=FakeMetaTransport(fake_meta),
                          webhook_transport=httpx.MockTransport(sink.handler))

    with TestClient(start()) as client:
        ctx = Ctx(client, fake_meta, sink)
        account = ctx.account()
        channel = ctx.connect(account, "facebook")
        fake_meta.fail_next("3001", (503, {}))
        queued = ctx.api("POST", "/messages/send", account,
                         json={"channel_id": channel["id"], "recipient": "9", "text": "later"}).json()
        assert queued["status"] == "queued"
    with TestClient(start()) as client:
        ctx = Ctx(client, fake_meta, sink)
        ctx.advance(31)
        assert len(fake_meta.sends("3001")) == 2
        assert ctx.comps.messages.get(queued["message_id"]).status == "accepted"


def test_lapsed_subscription_holds_status_events(ctx):
    account = ctx.account("pro", "active", "trial")
    channel = ctx.connect(account, "facebook")
    ctx.hook(account, channel, ["message.received"])
    ctx.advance(7 * 86400 + 1)
    from tests.reference.fake_meta import page_text

    ctx.meta_webhook(page_text("page", "3001", "55", "after lapse"))
    assert ctx.sink.requests == []
    ctx.client.post(f"/harness/accounts/{account['account_id']}/subscription",
                    json={"subscription_status": "active", "source": "paddle"})
    ctx.settle()
    assert [b["data"]["text"] for b in ctx.sink.bodies()] == ["after lapse"]


def test_pending_retries_pause_while_blocked(ctx):
    account, channel, _ = _setup(ctx, "pro", "active")
    ctx.sink.script = [500]
    ctx.meta_webhook(wa_text("1001", "15551234", "x"))
    ctx.client.post(f"/harness/accounts/{account['account_id']}/subscription", json={"subscription_status": "expired"})
    ctx.advance(600)
    assert len(ctx.sink.requests) == 1
    ctx.client.post(f"/harness/accounts/{account['account_id']}/subscription",
                    json={"subscription_status": "active", "source": "paddle"})
    ctx.settle()
    assert len(ctx.sink.requests) == 2


def test_slow_endpoint_does_not_delay_meta_answer(tmp_path, fake_meta):
    import asyncio
    import time

    from fastapi.testclient import TestClient

    from reference.app import create_app
    from tests.reference.conftest import Ctx, Sink, make_settings
    from tests.reference.fake_meta import FakeMetaTransport, sign

    slow = Sink()

    async def handler(request):
        await asyncio.sleep(1.5)
        return await slow.handler(request)

    app = create_app(make_settings(tmp_path), meta_transport=FakeMetaTransport(fake_meta),
                     webhook_transport=httpx.MockTransport(handler))
    with TestClient(app) as client:
        ctx = Ctx(client, fake_meta, slow)
        _setup(ctx)
        body = json.dumps(wa_text("1001", "15551234", "quick")).encode()
        started = time.monotonic()
        response = client.post("/meta/webhook", content=body, headers={"X-Hub-Signature-256": sign(
            body, "test-app-secret")})
        assert response.status_code == 200 and time.monotonic() - started < 1.0
        assert len(ctx.comps.deliveries.list()) == 1  # persisted before the answer
        ctx.settle()
        assert len(slow.requests) == 1


def test_no_attempt_after_the_deadline_even_when_a_retry_runs_late(ctx):
    """RELAY-RETRY-DEADLINE: a retry that could only run after 20 minutes (late scheduler) is not made."""
    _setup(ctx)
    ctx.sink.script = [500] * 10
    ctx.meta_webhook(wa_text("1001", "15551234", "late retries"))
    for _ in range(2):
        ctx.advance(480)  # each retry runs late, but within the deadline
    assert len(ctx.sink.requests) == 3
    ctx.advance(480)  # the next retry became due at 1080 s but would run at 1440 s > 1200 s
    assert len(ctx.sink.requests) == 3
    (delivery,) = ctx.comps.deliveries.list()
    assert delivery.state == "failed" and delivery.attempts == 3


def test_events_of_one_message_keep_their_order_while_the_first_is_retried(ctx):
    """A read must not overtake the delivered of the same message (Instagram emits both at once)."""
    from tests.reference.fake_meta import page_event

    account = ctx.account()
    channel = ctx.connect(account, "instagram")
    ctx.hook(account, channel, ["message.delivered", "message.read"])
    sent = ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "88", "text": "hi"}).json()
    mid = ctx.comps.messages.get(sent["message_id"]).meta_message_id
    ctx.sink.script = [500]
    ctx.meta_webhook(page_event("instagram", "4001", "88", {"read": {"mid": mid}}))
    assert [b["event"] for b in ctx.sink.bodies()] == ["message.delivered"]
    ctx.advance(30)
    assert [b["event"] for b in ctx.sink.bodies()] == ["message.delivered", "message.delivered", "message.read"]
