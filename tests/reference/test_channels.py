from __future__ import annotations

import re

import pytest

SUB_KEYS = {"status", "source", "tier", "expires_at", "auto_renew"}


def test_connect_and_list_all_types(ctx):
    account = ctx.account()
    wa = ctx.connect(account, "whatsapp")
    fb = ctx.connect(account, "facebook")
    ig = ctx.connect(account, "instagram")
    assert wa["channel_type"] == "whatsapp" and wa["name"] == "My Business"
    assert wa["phone_number_id"] == "1001" and wa["waba_id"] == "2001" and wa["phone_number"] == "+1 555 0100"
    assert fb["page_id"] == "3001" and fb["name"] == "My Page"
    assert ig["ig_account_id"] == "4001" and ig["ig_username"] == "mybusiness" and ig["page_id"] == "3002"
    assert ig["name"] == "mybusiness"
    for channel in (wa, fb, ig):
        assert re.fullmatch(r"[0-9a-f]{16}", channel["id"])
        assert channel["is_active"] is True
        assert channel["webhook_url"] is None and channel["has_webhook_secret"] is False
        assert channel["webhook_events"] == []
        assert set(channel["subscription"]) == SUB_KEYS
        assert channel["subscription"]["status"] == "active"
        assert "webhook_secret" not in channel and "access_token" not in channel
        assert channel["connected_at"].endswith("Z") and channel["token_expires_at"].endswith("Z")
    assert "ig_account_id" not in wa and "phone_number_id" not in fb
    assert {"2001", "3001", "3002"} <= ctx.fake.subscriptions
    listing = ctx.api("GET", "/channels", account).json()
    assert listing["total"] == 3 and [c["id"] for c in listing["channels"]] == [wa["id"], fb["id"], ig["id"]]
    assert ctx.api("GET", f"/channels/{wa['id']}", account).json() == wa


@pytest.mark.parametrize("status,source,expect", [
    ("active", "paddle", {"status": "active", "source": "paddle", "tier": "starter", "auto_renew": True}),
    ("active", "trial", {"status": "active", "source": "trial", "tier": "starter", "auto_renew": False}),
    ("active", "enterprise", {"status": "active", "source": "enterprise", "tier": "starter", "auto_renew": False}),
    ("expired", "paddle", {"status": "expired", "source": "paddle", "tier": "starter", "auto_renew": False}),
    ("canceled", "paddle", {"status": "canceled", "source": "paddle", "tier": "starter", "auto_renew": False}),
    ("none", None, {"status": "none", "source": None, "tier": None, "auto_renew": False, "expires_at": None}),
])
def test_subscription_block(ctx, status, source, expect):
    account = ctx.account("starter", status, source)
    channel = ctx.connect(account, "facebook")
    sub = channel["subscription"]
    assert set(sub) == SUB_KEYS
    for key, value in expect.items():
        assert sub[key] == value
    if status != "none":
        assert sub["expires_at"].endswith("Z")


def test_other_accounts_channel_is_404_like_unknown(ctx):
    a, b = ctx.account(), ctx.account()
    channel = ctx.connect(a, "whatsapp")
    for method, kwargs in [("GET", {}), ("PATCH", {"json": {"webhook_events": []}}), ("DELETE", {})]:
        other = ctx.api(method, f"/channels/{channel['id']}", b, **kwargs)
        unknown = ctx.api(method, "/channels/ffffffffffffffff", b, **kwargs)
        assert other.status_code == unknown.status_code == 404
        assert other.json() == unknown.json()
    sent = ctx.api("POST", "/messages/send", b, json={"channel_id": channel["id"], "recipient": "1", "text": "x"})
    assert sent.status_code == 404
    assert ctx.api("GET", "/channels", b).json() == {"channels": [], "total": 0}
    assert ctx.api("GET", f"/channels/{channel['id']}", a).json()["is_active"] is True
    assert ctx.fake.sends() == []


def test_asset_connected_to_another_account_is_refused(ctx):
    a, b = ctx.account(), ctx.account()
    ctx.connect(a, "facebook")
    response = ctx.client.post(f"/harness/accounts/{b['account_id']}/channels",
                               json={"channel_type": "facebook", "asset_id": "3001", "access_token": "tok-fb"})
    assert response.status_code == 400
    assert response.json()["detail"] == "Already connected to another account"


def test_patch_webhook_autogenerates_secret_once(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "instagram")
    response = ctx.api("PATCH", f"/channels/{channel['id']}", account,
                       json={"webhook_url": "https://sink.test/hooks/a"})
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"[0-9a-f]{64}", body["webhook_secret"])
    assert body["has_webhook_secret"] is True and body["webhook_events"] == []
    assert body["webhook_url"] == "https://sink.test/hooks/a"
    again = ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_events": ["message.read"]})
    assert again.status_code == 200
    assert "webhook_secret" not in again.json() and again.json()["webhook_events"] == ["message.read"]
    fetched = ctx.api("GET", f"/channels/{channel['id']}", account).json()
    assert "webhook_secret" not in fetched and fetched["has_webhook_secret"] is True
    assert ctx.comps.channels.get(channel["id"]).webhook_secret == body["webhook_secret"]


def test_patch_custom_secret_is_returned_and_used(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    response = ctx.api("PATCH", f"/channels/{channel['id']}", account,
                       json={"webhook_url": "https://sink.test/h", "webhook_secret": "my-custom-secret-123",
                             "webhook_events": ["message.received", "message.failed", "message.received"]})
    assert response.status_code == 200
    assert response.json()["webhook_secret"] == "my-custom-secret-123"
    assert response.json()["webhook_events"] == ["message.received", "message.failed"]


@pytest.mark.parametrize("channel_type,events,invalid", [
    ("instagram", ["message.received", "message.sent"], "message.sent"),
    ("facebook", ["message.failed"], "message.failed"),
    ("whatsapp", ["message.bogus"], "message.bogus"),
    ("whatsapp", ["MESSAGE.RECEIVED"], "MESSAGE.RECEIVED"),
])
def test_invalid_events_ignored_and_named(ctx, channel_type, events, invalid):
    """The liberal reading of WEBHOOK-EVENTS-PER-CHANNEL: valid events stored, the others ignored and named."""
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    response = ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_events": events})
    assert response.status_code == 200
    kept = [e for e in events if e != invalid]
    assert response.json()["webhook_events"] == kept
    assert response.headers["X-Fiwano-Ignored-Webhook-Events"] == invalid
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["webhook_events"] == kept


@pytest.mark.parametrize("url", [
    "http://sink.test/x", "ftp://example.com/x", "https://127.0.0.1/x", "https://localhost/x", "https://10.0.0.1/x",
    "https://[::1]/x", "https://169.254.169.254/latest", "https://2130706433/x", "https://0x7f.1/x",
    "https://user:pass@example.com/x", "https://example.com\\@evil/x", "/relative", "https://", "not a url",
    "https://metadata.google.internal/x", "https://foo.localhost/x", "https://" + "a" * 2050 + ".com/",
    "https://[::ffff:127.0.0.1]/x", "https://0.0.0.0/x", "https://192.168.1.1:8443/x",
])
def test_unsafe_webhook_urls_rejected(ctx, url):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    response = ctx.api("PATCH", f"/channels/{channel['id']}", account, json={"webhook_url": url})
    assert response.status_code == 422, url
    assert isinstance(response.json()["detail"], str)
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["webhook_url"] is None


def test_public_webhook_url_accepted(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    response = ctx.api("PATCH", f"/channels/{channel['id']}", account,
                       json={"webhook_url": "https://yourapp.example.com/webhooks?x=1"})
    assert response.status_code == 200


def test_patch_validation_errors(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    path = f"/channels/{channel['id']}"
    for body in [{"webhook_events": "message.received"}, {"webhook_events": [1]}, {"webhook_url": 5},
                 {"webhook_secret": "short"}, {"webhook_secret": "x" * 65}, {"webhook_secret": 123}]:
        response = ctx.api("PATCH", path, account, json=body)
        assert response.status_code == 422, body
        assert "detail" in response.json()
    assert ctx.api("PATCH", path, account, content=b"[]").status_code == 422
    assert ctx.api("PATCH", path, account, content=b"{bad").status_code == 422


def test_soft_delete_and_safe_unsubscribe(ctx):
    a, b = ctx.account(), ctx.account()
    first = ctx.connect(a, "whatsapp", phone_number_id="1001", waba_id="2001", token="t1")
    second = ctx.connect(b, "whatsapp", phone_number_id="1002", waba_id="2001", token="t2")
    assert ctx.api("DELETE", f"/channels/{first['id']}", a).status_code == 200
    gone = ctx.api("GET", f"/channels/{first['id']}", a).json()
    assert gone["is_active"] is False
    assert ctx.api("GET", "/channels", a).json()["total"] == 1
    deletes = [e for e in ctx.fake.journal if e["method"] == "DELETE"]
    assert deletes == []  # WABA still used by another active channel
    sent = ctx.api("POST", "/messages/send", a, json={"channel_id": first["id"], "recipient": "1", "text": "hi"})
    assert sent.status_code == 400
    assert ctx.api("DELETE", f"/channels/{second['id']}", b).status_code == 200
    deletes = [e["path"] for e in ctx.fake.journal if e["method"] == "DELETE"]
    assert deletes == ["/v21.0/2001/subscribed_apps"]
    assert ctx.api("DELETE", f"/channels/{second['id']}", b).status_code == 200  # idempotent
    assert len([e for e in ctx.fake.journal if e["method"] == "DELETE"]) == 1


def test_reconnect_reactivates_same_channel(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "facebook")
    ctx.api("DELETE", f"/channels/{channel['id']}", account)
    again = ctx.connect(account, "facebook")
    assert again["id"] == channel["id"] and again["is_active"] is True
    assert ctx.api("GET", "/channels", account).json()["total"] == 1


def test_default_account_is_seven_day_pro_trial(ctx):
    response = ctx.client.post("/harness/accounts")
    assert response.status_code == 201
    account = response.json()
    channel = ctx.connect(account, "facebook")
    sub = channel["subscription"]
    assert sub["status"] == "active" and sub["source"] == "trial" and sub["tier"] == "pro"
    assert sub["auto_renew"] is False
    ctx.advance(7 * 86400 + 1)
    lapsed = ctx.api("GET", f"/channels/{channel['id']}", account).json()["subscription"]
    assert lapsed["status"] == "expired"
    sent = ctx.api("POST", "/messages/send", account, json={"channel_id": channel["id"], "recipient": "1",
                                                            "text": "x"})
    assert sent.status_code == 402


def test_paddle_renews_and_cancel_at_period_end_lapses(ctx):
    account = ctx.account("starter", "active", "paddle")
    channel = ctx.connect(account, "facebook")
    first = channel["subscription"]["expires_at"]
    ctx.advance(31 * 86400)
    renewed = ctx.api("GET", f"/channels/{channel['id']}", account).json()["subscription"]
    assert renewed["status"] == "active" and renewed["expires_at"] > first and renewed["auto_renew"] is True
    changed = ctx.client.post(f"/harness/accounts/{account['account_id']}/subscription",
                              json={"subscription_status": "active", "source": "paddle", "auto_renew": False})
    assert changed.status_code == 200
    sub = changed.json()["subscription"]
    assert sub["status"] == "active" and sub["auto_renew"] is False
    ctx.advance(31 * 86400)
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["subscription"]["status"] == "expired"


def test_token_refreshed_seven_days_before_expiry(ctx):
    account = ctx.account("pro", "active", "enterprise")
    channel = ctx.connect(account, "facebook")
    first = channel["token_expires_at"]
    ctx.advance(52 * 86400)
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["token_expires_at"] == first
    ctx.advance(1 * 86400 + 60)
    refreshed = ctx.api("GET", f"/channels/{channel['id']}", account).json()
    assert refreshed["token_expires_at"] > first and refreshed["is_active"] is True
    calls = [e for e in ctx.fake.journal if e["path"].endswith("/oauth/access_token")]
    assert calls and calls[0]["query"]["grant_type"] == "fb_exchange_token"


def test_failed_token_refresh_deactivates(ctx):
    account = ctx.account("pro", "active", "enterprise")
    channel = ctx.connect(account, "facebook")
    del ctx.fake.tokens["tok-fb"]  # the user revoked the app
    ctx.advance(53 * 86400 + 60)
    assert ctx.api("GET", f"/channels/{channel['id']}", account).json()["is_active"] is False
