from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.reference.conftest import APP_SECRET, VERIFY_TOKEN
from tests.reference.fake_meta import page_event, page_text, sign, wa_message, wa_status, wa_text


def test_handshake(ctx):
    ok = ctx.client.get("/meta/webhook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                  "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    for params in [{"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}, {}]:
        bad = ctx.client.get("/meta/webhook", params=params)
        assert bad.status_code == 403 and "detail" in bad.json()


def _wa_setup(ctx, events=("message.received",)):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    hook = ctx.hook(account, channel, list(events))
    return account, channel, hook


def test_whatsapp_text_relayed_signed(ctx):
    account, channel, hook = _wa_setup(ctx)
    response = ctx.meta_webhook(wa_text("1001", "15551234", "Hello!", name="John Doe", mid="wamid.A"))
    assert response.status_code == 200
    (request,) = ctx.sink.requests
    assert str(request.url) == "https://sink.test/hooks/1"
    assert request.headers["content-type"] == "application/json"
    expected = "sha256=" + hmac.new(hook["webhook_secret"].encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["x-webhook-signature"] == expected
    body = json.loads(request.content)
    assert body == {"event": "message.received", "channel_id": channel["id"], "channel_type": "whatsapp",
                    "timestamp": "2025-01-15T10:30:00Z",
                    "data": {"message_id": "wamid.A", "from": "15551234", "from_name": "John Doe", "type": "text",
                             "text": "Hello!"}}


@pytest.mark.parametrize("kind,channel_type,asset", [("page", "facebook", "3001"), ("instagram", "instagram", "4001")])
def test_page_and_instagram_text_relayed_with_null_name(ctx, kind, channel_type, asset):
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    ctx.hook(account, channel, ["message.received"])
    ctx.meta_webhook(page_text(kind, asset, "6543217890123456", "Hi there! 😀 ü", mid="mid.X"))
    (body,) = ctx.sink.bodies()
    assert body["channel_type"] == channel_type and body["channel_id"] == channel["id"]
    assert body["data"] == {"message_id": "mid.X", "from": "6543217890123456", "from_name": None, "type": "text",
                            "text": "Hi there! 😀 ü"}


def test_signature_required_and_nothing_relayed(ctx):
    _wa_setup(ctx)
    payload = json.dumps(wa_text("1001", "15551234", "x")).encode()
    for signature in ["", "sha256=" + "0" * 64, sign(payload, "other-secret"), "sha1=abc",
                      sign(payload, APP_SECRET).replace("sha256=", "")]:
        response = ctx.meta_webhook(payload, signature=signature)
        assert response.status_code == 401, signature
        assert "detail" in response.json()
    assert ctx.sink.requests == []
    assert ctx.comps.db.one("SELECT COUNT(*) FROM messages")[0] == 0


def test_signature_over_raw_bytes(ctx):
    _wa_setup(ctx)
    payload = wa_text("1001", "15551234", "Grüße ✓", mid="wamid.R")
    raw = json.dumps(payload, indent=3, sort_keys=True, ensure_ascii=True).encode()
    response = ctx.meta_webhook(raw)
    assert response.status_code == 200
    assert ctx.sink.bodies()[0]["data"]["text"] == "Grüße ✓"


def test_events_default_none_and_filtering(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_url": "https://sink.test/h"})
    ctx.meta_webhook(wa_text("1001", "15551234", "one", mid="wamid.1"))
    assert ctx.sink.requests == []  # no events enabled by default
    ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_events": ["message.failed"]})
    ctx.meta_webhook(wa_text("1001", "15551234", "two", mid="wamid.2"))
    assert ctx.sink.requests == []
    ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_events": ["message.received"]})
    ctx.meta_webhook(wa_text("1001", "15551234", "three", mid="wamid.3"))
    assert [b["data"]["text"] for b in ctx.sink.bodies()] == ["three"]
    ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_events": []})
    ctx.meta_webhook(wa_text("1001", "15551234", "four", mid="wamid.4"))
    assert len(ctx.sink.requests) == 1
    # every inbound message is saved regardless of relay settings
    assert ctx.comps.db.one("SELECT COUNT(*) FROM messages WHERE direction = 'in'")[0] == 4


def test_duplicate_meta_delivery_relayed_once(ctx):
    _wa_setup(ctx)
    payload = wa_text("1001", "15551234", "dup", mid="wamid.D")
    ctx.meta_webhook(payload)
    ctx.meta_webhook(payload)
    assert len(ctx.sink.requests) == 1


def test_unknown_asset_and_odd_payloads_are_accepted_quietly(ctx):
    _wa_setup(ctx)
    for payload in [wa_text("9999", "1", "x"), {"object": "whatsapp_business_account", "entry": "nope"},
                    {"object": "page", "entry": [{"messaging": [{"message": "x"}]}]}, [1, 2], {"object": None},
                    {"object": "instagram", "entry": [{"id": 1, "messaging": [{"sender": {}, "message": {}}]}]}]:
        assert ctx.meta_webhook(payload).status_code == 200
    assert ctx.meta_webhook(b"{not json").status_code == 400
    assert ctx.sink.requests == []


def test_inactive_channel_ignores_inbound(ctx):
    account, channel, _ = _wa_setup(ctx)
    ctx.api("DELETE", f"/channels/{channel['id']}", account)
    ctx.meta_webhook(wa_text("1001", "15551234", "late"))
    assert ctx.sink.requests == []


def test_inbound_for_other_account_goes_to_its_own_url_only(ctx):
    a, b = ctx.account(), ctx.account()
    ca = ctx.connect(a, "facebook", page_id="3001", token="ta")
    cb = ctx.connect(b, "facebook", page_id="3009", token="tb")
    ctx.hook(a, ca, ["message.received"], path="/a")
    ctx.hook(b, cb, ["message.received"], path="/b")
    ctx.meta_webhook(page_text("page", "3009", "77", "for b"))
    (request,) = ctx.sink.requests
    assert request.url.path == "/b" and json.loads(request.content)["channel_id"] == cb["id"]


def test_starter_media_is_unsupported_with_upgrade_hint(ctx):
    account = ctx.account("starter")
    channel = ctx.connect(account, "whatsapp")
    ctx.hook(account, channel, ["message.received"])
    ctx.meta_webhook(wa_message("1001", {"from": "15551234", "id": "wamid.M", "timestamp": "1736937000",
                                         "type": "image", "image": {"id": "55", "mime_type": "image/jpeg"}}))
    ctx.meta_webhook(wa_message("1001", {"from": "15551234", "id": "wamid.L", "timestamp": "1736937000",
                                         "type": "location", "location": {"latitude": 1, "longitude": 2}}))
    first, second = ctx.sink.bodies()
    assert first["data"] == {"message_id": "wamid.M", "from": "15551234", "from_name": "John Doe",
                             "type": "unsupported", "unsupported_type": "image", "upgrade_required": "pro"}
    assert second["data"]["type"] == "unsupported" and second["data"]["unsupported_type"] == "location"
    assert "upgrade_required" not in second["data"]


def test_whatsapp_statuses_map_to_our_uuid(ctx):
    account, channel, _ = _wa_setup(ctx, ["message.sent", "message.delivered", "message.read", "message.failed"])
    sent = ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "15551234", "text": "hi"}).json()
    wamid = ctx.comps.messages.get(sent["message_id"]).meta_message_id
    for status in ["sent", "delivered", "delivered", "read", "delivered"]:
        ctx.meta_webhook(wa_status("1001", wamid, status))
    events = [(b["event"], b["data"]) for b in ctx.sink.bodies()]
    assert [e for e, _ in events] == ["message.sent", "message.delivered", "message.read"]
    for _, data in events:
        assert data == {"message_id": sent["message_id"], "status": data["status"], "recipient": "15551234"}


def test_whatsapp_failed_status(ctx):
    account, channel, _ = _wa_setup(ctx, ["message.failed"])
    sent = ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "15551234", "text": "hi"}).json()
    wamid = ctx.comps.messages.get(sent["message_id"]).meta_message_id
    ctx.meta_webhook(wa_status("1001", wamid, "failed",
                               errors=[{"code": 131047, "title": "Message undeliverable"}]))
    (body,) = ctx.sink.bodies()
    assert body["event"] == "message.failed"
    assert body["data"] == {"message_id": sent["message_id"], "status": "failed", "recipient": "15551234",
                            "error": "Message undeliverable",
                            "errors": [{"code": 131047, "title": "Message undeliverable"}]}


def test_messenger_delivery_and_read_watermark(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    ctx.hook(account, channel, ["message.delivered", "message.read"])
    ids = [ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "77", "text": f"m{i}"}).json()["message_id"]
           for i in range(2)]
    mids = [ctx.comps.messages.get(i).meta_message_id for i in ids]
    ctx.meta_webhook(page_event("page", "3001", "77", {"delivery": {"mids": [mids[0]], "watermark": 1}}))
    watermark = int((ctx.comps.clock.now() + 1) * 1000)
    ctx.meta_webhook(page_event("page", "3001", "77", {"read": {"watermark": watermark}}))
    events = [(b["event"], b["data"]["message_id"]) for b in ctx.sink.bodies()]
    assert events == [("message.delivered", ids[0]), ("message.read", ids[0]), ("message.read", ids[1])]


def test_instagram_read_implies_delivered(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "instagram")
    ctx.hook(account, channel, ["message.delivered", "message.read"])
    sent = ctx.api("POST", "/messages/send", account,
                   json={"channel_id": channel["id"], "recipient": "88", "text": "hi"}).json()
    mid = ctx.comps.messages.get(sent["message_id"]).meta_message_id
    ctx.meta_webhook(page_event("instagram", "4001", "88", {"read": {"mid": mid}}))
    assert [(b["event"], b["data"]["message_id"]) for b in ctx.sink.bodies()] == [
        ("message.delivered", sent["message_id"]), ("message.read", sent["message_id"])]


@pytest.mark.parametrize("kind,channel_type,asset", [("page", "facebook", "3001"), ("instagram", "instagram", "4001")])
def test_page_reaction_is_unsupported_without_upgrade(ctx, kind, channel_type, asset):
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    ctx.hook(account, channel, ["message.received"])
    reaction = {"reaction": {"mid": "m_ours", "action": "react", "reaction": "love", "emoji": "❤"}}
    ctx.meta_webhook(page_event(kind, asset, "55", reaction))
    ctx.meta_webhook(page_event(kind, asset, "55", reaction))  # Meta retry: relayed once
    (body,) = ctx.sink.bodies()
    assert body["data"] == {"message_id": "m_ours", "from": "55", "from_name": None, "type": "unsupported",
                            "unsupported_type": "reaction"}
