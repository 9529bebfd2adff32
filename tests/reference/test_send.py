from __future__ import annotations

import uuid

import pytest

LIMITS = {"whatsapp": 4096, "facebook": 2000, "instagram": 1000}
RECIPIENT = {"whatsapp": "15551234", "facebook": "7890123456789012", "instagram": "6543217890123456"}


def send(ctx, account, channel, text, recipient=None):
    return ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": recipient or RECIPIENT[channel["channel_type"]],
                         "text": text})


@pytest.mark.parametrize("channel_type", ["whatsapp", "facebook", "instagram"])
def test_limit_boundary(ctx, channel_type):
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    limit = LIMITS[channel_type]
    ok = send(ctx, account, channel, "a" * limit)
    assert ok.status_code == 200 and ok.json()["success"] is True
    assert len(ctx.fake.sends()) == 1
    too_long = send(ctx, account, channel, "a" * (limit + 1))
    assert too_long.status_code == 400
    assert too_long.json() == {"detail": {
        "code": "text_too_long",
        "message": f"Text exceeds {channel_type} limit of {limit} characters (got {limit + 1}).",
        "actual_length": limit + 1, "max_length": limit, "channel_type": channel_type,
        "hint": "Split the text on your side and send as multiple messages."}}
    assert len(ctx.fake.sends()) == 1  # nothing reached Meta


def test_limit_counts_code_points(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "instagram")
    assert send(ctx, account, channel, "😀" * 1000).status_code == 200
    response = send(ctx, account, channel, "😀" * 1001)
    assert response.status_code == 400 and response.json()["detail"]["actual_length"] == 1001


@pytest.mark.parametrize("channel_type", ["whatsapp", "facebook", "instagram"])
def test_send_reaches_meta_with_channel_token(ctx, channel_type):
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    response = send(ctx, account, channel, "Hello! Your order is ready.")
    assert response.status_code == 200
    body = response.json()
    assert body == {"success": True, "message_id": body["message_id"]}
    uuid.UUID(body["message_id"])
    (call,) = ctx.fake.sends()
    asset = {"whatsapp": "1001", "facebook": "3001", "instagram": "4001"}[channel_type]
    assert call["path"] == f"/v21.0/{asset}/messages"
    assert call["headers"]["authorization"] == f"Bearer tok-{ {'whatsapp': 'wa', 'facebook': 'fb', 'instagram': 'ig'}[channel_type]}"
    if channel_type == "whatsapp":
        assert call["json"]["messaging_product"] == "whatsapp" and call["json"]["to"] == "15551234"
        assert call["json"]["type"] == "text" and call["json"]["text"]["body"] == "Hello! Your order is ready."
    else:
        assert call["json"]["recipient"] == {"id": RECIPIENT[channel_type]}
        assert call["json"]["message"] == {"text": "Hello! Your order is ready."}
    stored = ctx.comps.messages.get(body["message_id"])
    assert stored.status == "accepted" and stored.meta_message_id


def test_permanent_error_is_failed_without_retry(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    ctx.fake.fail_next("1001", (400, {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException",
                                                "code": 100, "fbtrace_id": "x"}}))
    response = send(ctx, account, channel, "hi")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False and body["status"] == "failed" and body["error_code"] == 100
    assert "Invalid parameter" in body["error"]
    ctx.advance(3600)
    assert len(ctx.fake.sends()) == 1


@pytest.mark.parametrize("fault", [
    (503, {"error": {"message": "Service unavailable", "code": 2, "type": "OAuthException"}}),
    (500, {"oops": True}),
    (400, {"error": {"message": "(#4) Application request limit reached", "code": 4}}),
    (400, {"error": {"message": "(#80007) Rate limit", "code": 80007}}),
    (429, {"error": {"message": "(#130429) Throughput", "code": 130429}}),
    (400, {"error": {"message": "(#131056) Pair rate", "code": 131056}}),
    (0, None),  # timeout
    (1, None),  # connection failure
])
def test_transient_error_queues_then_retries(ctx, fault):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    ctx.fake.fail_next("1001", fault)
    response = send(ctx, account, channel, "hi")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["status"] == "queued"
    assert len(ctx.fake.sends()) == 1
    ctx.advance(29)
    assert len(ctx.fake.sends()) == 1
    ctx.advance(2)
    assert len(ctx.fake.sends()) == 2
    message = ctx.comps.messages.get(body["message_id"])
    assert message.status == "accepted" and message.attempts == 2


def test_always_transient_gives_up_after_seven_retries(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    hook = ctx.hook(account, channel, ["message.received"])
    assert hook["webhook_events"] == ["message.received"]
    ctx.fake.fail_next("3001", *[(503, {"error": {"message": "down", "code": 2}})] * 20)
    body = send(ctx, account, channel, "hi").json()
    assert body["status"] == "queued"
    for _ in range(130):
        ctx.advance(10)
    assert len(ctx.fake.sends()) == 8
    message = ctx.comps.messages.get(body["message_id"])
    assert message.status == "failed" and message.attempts == 8
    times = [a["at"] for a in ctx.comps.messages.attempts_of(message.id)]
    assert times[-1] - times[0] <= 1200


def test_permanent_error_during_retries_aborts(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    ctx.hook(account, channel, ["message.failed"])
    ctx.fake.fail_next("1001", (503, {}), (503, {}), (400, {"error": {"message": "(#100) bad", "code": 100}}),
                       (503, {}))
    body = send(ctx, account, channel, "hi").json()
    ctx.advance(30)
    ctx.advance(60)
    assert len(ctx.fake.sends()) == 3
    ctx.advance(3600)
    assert len(ctx.fake.sends()) == 3
    message = ctx.comps.messages.get(body["message_id"])
    assert message.status == "failed" and message.error_code == 100
    (failed,) = ctx.sink.bodies()
    assert failed["event"] == "message.failed" and failed["data"]["message_id"] == body["message_id"]


@pytest.mark.parametrize("status", ["expired", "canceled", "none"])
def test_inactive_subscription_cannot_send(ctx, status):
    account = ctx.account("pro", status)
    channel = ctx.connect(account, "facebook")
    response = send(ctx, account, channel, "hi")
    assert response.status_code == 402 and isinstance(response.json()["detail"], str)
    assert ctx.fake.sends() == []


@pytest.mark.parametrize("body", [
    {}, {"channel_id": "x"}, {"channel_id": 1, "recipient": "1", "text": "x"},
    {"channel_id": "x", "recipient": ["1"], "text": "x"}, {"channel_id": "x", "recipient": "1", "text": None},
    {"channel_id": "x", "recipient": "1", "text": ""}, {"channel_id": "x", "recipient": "1", "text": "   "},
    {"channel_id": "x", "recipient": "", "text": "x"}, {"channel_id": "x" * 1000, "recipient": "1", "text": "x"},
])
def test_send_validation(ctx, body):
    account = ctx.account()
    response = ctx.api("POST", "/messages/send", account, json=body)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_unknown_channel_404(ctx):
    account = ctx.account()
    response = ctx.api("POST", "/messages/send", account, json={"channel_id": "nope", "recipient": "1", "text": "x"})
    assert response.status_code == 404 and response.json() == {"detail": "Channel not found"}


def test_meta_garbage_answers_never_500(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    ctx.fake.fail_next("3001", (200, ["not", "an", "object"]), (502, {"html": "<h1>Bad gateway</h1>"}))
    first = send(ctx, account, channel, "a")
    assert first.status_code == 200 and first.json()["success"] is True
    second = send(ctx, account, channel, "b")
    assert second.status_code == 200 and second.json()["status"] == "queued"


def test_notices_for_warning_exhaustion_and_permanent(ctx):
    account = ctx.account("pro", "active", "paddle")
    channel = ctx.connect(account, "whatsapp")
    ctx.fake.fail_next("1001", (400, {"error": {"message": "(#100) bad", "code": 100}}))
    send(ctx, account, channel, "x")
    ctx.fake.fail_next("1001", *[(503, {"error": {"message": "down", "code": 2}})] * 8)
    queued = send(ctx, account, channel, "y").json()
    for _ in range(130):
        ctx.advance(10)
    notices = ctx.client.get(f"/harness/accounts/{account['account_id']}/notifications").json()["notifications"]
    kinds = [n["kind"] for n in notices]
    assert kinds == ["send_permanent_failure", "send_retry_warning", "send_failed"]
    assert notices[2]["message_id"] == queued["message_id"]


def test_revoked_authorisation_deactivates_channel(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    ctx.fake.fail_next("3001", (400, {"error": {"message": "Invalid OAuth access token", "code": 190}}),
                       (400, {"error": {"message": "Error validating access token: The user has not authorized "
                                                   "application", "code": 190, "error_subcode": 458}}))
    first = send(ctx, account, channel, "x").json()
    assert first["success"] is False and first["error_code"] == 190
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["is_active"] is True
    send(ctx, account, channel, "y")
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["is_active"] is False
    assert send(ctx, account, channel, "z").status_code == 400
