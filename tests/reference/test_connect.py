from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

CALLBACK = "https://yourapp.example.com/callback"


def _setup(ctx, account, channel_type="whatsapp", redirect=CALLBACK):
    assert ctx.api("POST", "/redirects", account, json={"uri_pattern": redirect}).status_code == 201
    response = ctx.api("POST", "/channels/setup-url", account,
                       json={"channel_type": channel_type, "redirect_uri": redirect})
    assert response.status_code == 200, response.text
    return response.json()


def _complete(ctx, setup, meta_code):
    start = ctx.client.get(urlsplit(setup["setup_url"]).path + "?" + urlsplit(setup["setup_url"]).query,
                           follow_redirects=False)
    assert start.status_code == 302
    dialog = urlsplit(start.headers["location"])
    assert dialog.path == "/v21.0/dialog/oauth"
    state = parse_qs(dialog.query)["state"][0]
    back = ctx.client.get("/setup/callback", params={"code": meta_code, "state": state}, follow_redirects=False)
    assert back.status_code == 302
    return back.headers["location"]


def _code(location):
    return parse_qs(urlsplit(location).query)["code"][0]


@pytest.mark.parametrize("channel_type", ["whatsapp", "facebook", "instagram"])
def test_full_connect_flow(ctx, channel_type):
    account = ctx.account()
    asset = {"whatsapp": ctx.fake.add_whatsapp, "facebook": ctx.fake.add_facebook,
             "instagram": ctx.fake.add_instagram}[channel_type]()
    setup = _setup(ctx, account, channel_type)
    assert setup["setup_url"].startswith("http://ref.test/setup/start?session=")
    location = _complete(ctx, setup, ctx.fake.grant("user-token-1", asset["id"]))
    assert location.startswith(CALLBACK + "?code=")
    response = ctx.api("POST", "/channels/exchange-code", account, json={
        "code": _code(location), "webhook_url": "https://sink.test/x",
        "webhook_events": ["message.received", "message.delivered"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["channel_type"] == channel_type and len(body["webhook_secret"]) == 64
    assert body["webhook_events"] == ["message.received", "message.delivered"]
    if channel_type == "whatsapp":
        assert body["phone_number_id"] == asset["id"] and body["phone_number"] == "+1 555 0100"
    elif channel_type == "instagram":
        assert body["ig_account_id"] == asset["id"] and body["ig_username"] == "mybusiness"
    listed = ctx.api("GET", "/channels", account).json()
    assert listed["total"] == 1 and listed["channels"][0]["id"] == body["channel_id"]
    again = ctx.api("POST", "/channels/exchange-code", account, json={"code": _code(location)})
    assert again.status_code == 400 and "detail" in again.json()


def test_code_only_exchange_and_ttl(ctx):
    account = ctx.account()
    asset = ctx.fake.add_facebook()
    location = _complete(ctx, _setup(ctx, account, "facebook"), ctx.fake.grant("u", asset["id"]))
    ctx.advance(301)
    assert ctx.api("POST", "/channels/exchange-code", account, json={"code": _code(location)}).status_code == 400
    location = _complete(ctx, _setup(ctx, account, "facebook"), ctx.fake.grant("u2", asset["id"]))
    ok = ctx.api("POST", "/channels/exchange-code", account, json={"code": _code(location)})
    assert ok.status_code == 200
    assert ok.json()["webhook_url"] is None and ok.json()["webhook_events"] == []


def test_code_bound_to_account_and_bad_webhook_keeps_code(ctx):
    a, b = ctx.account(), ctx.account()
    asset = ctx.fake.add_facebook()
    code = _code(_complete(ctx, _setup(ctx, a, "facebook"), ctx.fake.grant("u", asset["id"])))
    assert ctx.api("POST", "/channels/exchange-code", b, json={"code": code}).status_code == 400
    bad = ctx.api("POST", "/channels/exchange-code", a, json={"code": code, "webhook_url": "http://x.com"})
    assert bad.status_code == 422
    bad = ctx.api("POST", "/channels/exchange-code", a, json={"code": code, "webhook_secret": "short"})
    assert bad.status_code == 422
    assert ctx.api("POST", "/channels/exchange-code", a, json={"code": code}).status_code == 200
    assert ctx.api("GET", "/channels", b).json()["total"] == 0


@pytest.mark.parametrize("body", [{}, {"code": 5}, {"code": ""}, {"code": "x" * 100}, {"code": "\u00e9"}])
def test_exchange_bad_codes(ctx, body):
    account = ctx.account()
    response = ctx.api("POST", "/channels/exchange-code", account, json=body)
    assert response.status_code in (400, 422) and "detail" in response.json()


def test_cancel_redirects_access_denied(ctx):
    account = ctx.account()
    setup = _setup(ctx, account, "facebook", "https://yourapp.example.com/callback?state=xyz")
    start = ctx.client.get("/setup/start", params={"session": setup["session_id"]}, follow_redirects=False)
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    back = ctx.client.get("/setup/callback", params={"error": "access_denied", "state": state},
                          follow_redirects=False)
    assert back.headers["location"] == "https://yourapp.example.com/callback?state=xyz&error=access_denied"


def test_setup_url_expires(ctx):
    account = ctx.account()
    setup = _setup(ctx, account, "facebook")
    assert setup["expires_at"].endswith("Z")
    ctx.advance(601)
    start = ctx.client.get("/setup/start", params={"session": setup["session_id"]}, follow_redirects=False)
    assert start.status_code == 410


def test_setup_url_requires_whitelisted_redirect_per_key(ctx):
    account = ctx.account()
    other_key = ctx.client.post(f"/harness/accounts/{account['account_id']}/keys").json()["api_key"]
    ctx.api("POST", "/redirects", account, json={"uri_pattern": "https://*.example.com/callback"})
    ok = ctx.api("POST", "/channels/setup-url", account,
                 json={"channel_type": "facebook", "redirect_uri": "https://app.example.com/callback"})
    assert ok.status_code == 200
    for uri in ["https://evil.com/.example.com/callback", "https://app.example.com.evil.com/callback",
                "https://app.example.com/callbackX", "http://app.example.com/callback"]:
        response = ctx.api("POST", "/channels/setup-url", account, json={"channel_type": "facebook",
                                                                          "redirect_uri": uri})
        assert response.status_code == 400 and "setup_url" not in response.json()
    other = ctx.api("POST", "/channels/setup-url", other_key,
                    json={"channel_type": "facebook", "redirect_uri": "https://app.example.com/callback"})
    assert other.status_code == 400
    for body in [{"channel_type": "telegram", "redirect_uri": CALLBACK}, {"redirect_uri": CALLBACK},
                 {"channel_type": "facebook"}]:
        assert ctx.api("POST", "/channels/setup-url", account, json=body).status_code == 422


def test_redirect_crud(ctx):
    account, other = ctx.account(), ctx.account()
    created = ctx.api("POST", "/redirects", account, json={"uri_pattern": CALLBACK})
    assert created.status_code == 201
    redirect = created.json()
    assert redirect["uri_pattern"] == CALLBACK and redirect["id"]
    assert ctx.api("GET", "/redirects", account).json() == {"redirects": [redirect], "total": 1}
    assert ctx.api("GET", "/redirects", other).json()["total"] == 0
    assert ctx.api("DELETE", f"/redirects/{redirect['id']}", other).status_code == 404
    assert ctx.api("DELETE", f"/redirects/{redirect['id']}", account).status_code == 200
    assert ctx.api("DELETE", f"/redirects/{redirect['id']}", account).status_code == 404
    refused = ctx.api("POST", "/channels/setup-url", account,
                      json={"channel_type": "facebook", "redirect_uri": CALLBACK})
    assert refused.status_code == 400
    for pattern in ["http://x.example.com/cb", "javascript:alert(1)", "https://*", "https://*/*",
                    "https://*.com/*", "https://u:p@x.example.com/cb", "https://x.example.com/cb#f", 5, None]:
        response = ctx.api("POST", "/redirects", account, json={"uri_pattern": pattern})
        assert response.status_code == 422, pattern


def test_parallel_exchanges_one_success(ctx):
    from concurrent.futures import ThreadPoolExecutor

    account = ctx.account()
    asset = ctx.fake.add_facebook()
    code = _code(_complete(ctx, _setup(ctx, account, "facebook"), ctx.fake.grant("u", asset["id"])))
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda _: ctx.api("POST", "/channels/exchange-code", account,
                                                json={"code": code}).status_code, range(10)))
    assert codes.count(200) == 1 and codes.count(400) == 9
    assert ctx.api("GET", "/channels", account).json()["total"] == 1


@pytest.mark.parametrize("pattern", ["https://*.co.uk/cb", "https://*.com.au/cb", "https://*.github.io/cb",
                                     "https://*.appspot.com/cb", "https://*.uk/cb"])
def test_row7_wildcard_redirect_needs_a_registrable_domain(ctx, pattern):
    """Issue 18 row 7: ``https://*.co.uk/cb`` was accepted (201): a pattern matching every UK company."""
    account = ctx.account()
    response = ctx.api("POST", "/redirects", account, json={"uri_pattern": pattern})
    assert response.status_code == 422, response.text  # the reference's status for an invalid uri_pattern
    assert "registrable domain" in response.json()["detail"]


@pytest.mark.parametrize("pattern", ["https://*.example.co.uk/cb", "https://*.me.github.io/cb",
                                     "https://*.app.example.com/cb"])
def test_row7_wildcard_below_a_registrable_domain_still_accepted(ctx, pattern):
    account = ctx.account()
    assert ctx.api("POST", "/redirects", account, json={"uri_pattern": pattern}).status_code == 201
