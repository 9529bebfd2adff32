"""Malformed input never yields a 500: every answer is a 4xx with a useful detail."""

from __future__ import annotations

import json

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                      max_size=4), max_leaves=10)


def test_garbage_bodies(ctx):
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    bodies = [b"", b"null", b"[]", b"\"x\"", b"{", b"\xff\xfe", b'{"channel_id": "\\ud800", "recipient": "1", "text": "x"}',
              b'{"channel_id": "x", "recipient": "1", "text": "\\udfff"}', b"[" * 5000 + b"]" * 5000,
              b'{"text": ' + b'"a"' * 3 + b"}", json.dumps({"channel_id": channel["id"], "recipient": "1",
                                                          "text": {"a": 1}}).encode()]
    for path, method in [("/messages/send", "POST"), (f"/channels/{channel['id']}", "PATCH")]:
        for body in bodies if path.startswith("/messages") else bodies[:-1]:
            response = ctx.api(method, path, account, content=body, headers={"Content-Type": "application/json"})
            assert 400 <= response.status_code < 500, (path, body[:40], response.status_code)
            assert "detail" in response.json()
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        response = ctx.api("POST", "/messages/send", account, content=b'{"channel_id": ' + constant + b"}")
        assert response.status_code == 422
    big = ctx.api("POST", "/messages/send", account, content=b"{\"text\": \"" + b"a" * 2_000_000 + b"\"}")
    assert big.status_code == 413


def test_unknown_routes_and_methods(ctx):
    account = ctx.account()
    assert ctx.api("GET", "/nope", account).status_code == 404
    assert ctx.api("PUT", "/channels", account).status_code == 405
    assert ctx.api("GET", "/channels/" + "x" * 5000, account).status_code == 404
    assert ctx.api("GET", "/channels/..%2f..%2fetc", account).status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=JSON)
def test_fuzz_send_never_500(ctx, body):
    account = ctx.comps.api_keys
    key = getattr(test_fuzz_send_never_500, "_key", None)
    if key is None or ctx.comps.api_keys.authenticate(key) is None:
        key = ctx.account()["api_key"]
        test_fuzz_send_never_500._key = key
    ctx.comps.rate_limiter._hits.clear()
    for method, path in [("POST", "/messages/send"), ("PATCH", "/channels/abc")]:
        response = ctx.api(method, path, key, json=body)
        assert 400 <= response.status_code < 500
        assert "detail" in response.json()
    del account


def test_meta_webhook_fuzz_signed_never_500(ctx):
    from tests.reference.fake_meta import sign

    samples = [{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": 5}, "messages": [{"id": 1, "from": None}], "statuses": [{"status": "x"}],
        "contacts": "x"}}]}]}, {"object": "page", "entry": [{"messaging": [{"sender": {"id": 1}, "recipient": {"id": 2},
                                                                          "delivery": {"mids": "x"}, "read": 5}]}]},
        {"object": "instagram", "entry": None}, "text", 5, None]
    for sample in samples:
        body = json.dumps(sample).encode()
        response = ctx.client.post("/meta/webhook", content=body, headers={"X-Hub-Signature-256": sign(
            body, "test-app-secret")})
        assert response.status_code == 200


def test_every_route_survives_junk(ctx):
    account = ctx.account()
    wa = ctx.connect(account, "whatsapp")
    ig = ctx.connect(account, "instagram")
    routes = [("GET", "/channels"), ("POST", "/channels/setup-url"), ("POST", "/channels/exchange-code"),
              ("GET", "/redirects"), ("POST", "/redirects"), ("DELETE", "/redirects/x"),
              ("POST", "/messages/send"), ("POST", "/messages/send-media"), ("POST", "/messages/send-template"),
              ("GET", "/media/x"), ("GET", "/media/" + "%00"), ("GET", "/nope")]
    for channel in (wa, ig, {"id": "zzz"}):
        cid = channel["id"]
        routes += [("GET", f"/channels/{cid}"), ("PATCH", f"/channels/{cid}"),
                   ("GET", f"/channels/{cid}/profile/123"), ("GET", f"/channels/{cid}/profile/abc"),
                   ("GET", f"/channels/{cid}/templates?sync=maybe&status=x"), ("GET", f"/channels/{cid}/templates"),
                   ("POST", f"/channels/{cid}/templates"), ("GET", f"/channels/{cid}/templates/t"),
                   ("PUT", f"/channels/{cid}/templates/t"), ("DELETE", f"/channels/{cid}/templates/t?all_languages=2")]
    junk = [None, b"", b"{", b"[]", b"null", b'{"a": 1}', json.dumps({"channel_id": wa["id"], "recipient": 1}).encode(),
            json.dumps({"channel_id": wa["id"], "recipient": "1", "media_type": "image", "media_url": "https://x"}).encode(),
            json.dumps({"channel_id": wa["id"], "recipient": "1", "template_name": "x", "language": "en",
                        "variables": {"body": [1], "buttons": [{"index": "a"}]}}).encode(),
            json.dumps({"name": "ok_name", "category": "UTILITY", "language": "en_US",
                        "components": [{"type": "BODY"}]}).encode(),
            json.dumps({"components": "x", "uri_pattern": ["x"], "code": {}}).encode()]
    for method, path in routes:
        for body in junk:
            ctx.comps.rate_limiter._hits.clear()
            response = ctx.api(method, path, account, content=body,
                               headers={"Content-Type": "application/json"} if body is not None else {})
            assert response.status_code < 500, (method, path, body, response.text)
            if response.status_code >= 400:
                assert "detail" in response.json(), (method, path)
    for method, path in [("DELETE", f"/channels/{ig['id']}"), ("DELETE", "/channels/zzz")]:
        assert ctx.api(method, path, account).status_code < 500


ALLOW = {"/api/v1/channels/ch_x": "GET, PATCH, DELETE", "/api/v1/channels/ch_x/templates/t_y": "GET, PUT, DELETE",
         "/meta/webhook": "GET, POST", "/api/v1/channels": "GET"}


@pytest.mark.parametrize("path,method", [(path, method) for path, allow in ALLOW.items()
                                         for method in ("OPTIONS", "PUT", "POST") if method not in allow])
def test_row12_405_names_every_allowed_method(ctx, path, method):
    """Issue 18 row 12: ``OPTIONS /api/v1/channels/{id}`` answered 405 with ``Allow: GET`` (PATCH, DELETE
    missing): Starlette lists only the first route whose path matched."""
    allow = ALLOW[path]
    response = ctx.client.request(method, path, headers={"X-API-Key": "x"})
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert "detail" in response.json()
