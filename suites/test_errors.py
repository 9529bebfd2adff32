"""API-wide rules and errors: base path, JSON, creation status, timestamp format, validation status, 402 only for
billing, 502 for synchronous Meta failures, no internals in error bodies, bad Unicode never a 5xx.

Spec: fiwano-api.md overview (Base URL /api/v1, Format JSON), "Errors & Rate Limits" (HTTP Status Codes,
Error Format), "Channels / subscription object" (timestamps) and "Sender Profile" (502). Readings of the
ambiguous rules (requirements.yaml) are reported as the ``fiwano_reading`` user property, never failed.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import contract
from suites import expect, readings
from suites import support_templates as tpl
from suites.data import ascii_text, user_id
from suites.support_connect import target_now
from suites.support_sending import meta_sends, open_window

INTERNALS = [re.compile(p, re.IGNORECASE) for p in (
    r"Traceback \(most recent call last\)", r'File "[^"]+", line \d+', r"\.py\b", r"site-packages", r"sqlite",
    r"\bSELECT\b.+\bFROM\b", r"\bINSERT INTO\b", r"/(home|usr|tmp|var|opt)/", r"[A-Z]:\\\\", r"psycopg|SQLAlchemy",
    r"\bat 0x[0-9a-f]+", r"Exception:|Error\(")]


def _operations():
    """Every documented operation of contract/openapi.yaml as (METHOD, concrete path)."""
    for path, item in contract.load_openapi()["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "abc123", path)
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method.upper(), concrete


def _no_internals(response, req, what, extra: tuple[str, ...] = ()) -> None:
    text = response.text
    leaks = [p.pattern for p in INTERNALS if p.search(text)] + [s for s in extra if s and s in text]
    expect.check(not leaks, req, f"error body of {what}", "no stack trace, SQL, file path, token or internal host",
                 f"{leaks} in {expect.describe(response)}")


@pytest.mark.req("API-BASE-PATH")
@pytest.mark.level("api")
def test_every_operation_is_served_under_api_v1(account):
    owner = account()
    missing = []
    for method, path in _operations():
        assert path.startswith("/api/v1/"), path  # the contract itself
        response = owner.client.request(method, path, api_key=None,
                                        json={} if method in ("POST", "PUT", "PATCH") else None)
        if response.status_code in (404, 405) or response.status_code >= 500:
            missing.append(f"{method} {path} -> {response.status_code}")
    listing = owner.client.list_channels()

    expect.check(not missing, "API-BASE-PATH", "documented operations without an API key",
                 "each route exists under /api/v1 (401, not 404/405)", missing)
    expect.status(listing, 200, "API-BASE-PATH", "GET /api/v1/channels with a key")
    expect.check("channels" in expect.json_object(listing, "API-BASE-PATH", "channel list"), "API-BASE-PATH",
                 "GET /api/v1/channels", 'the channel list {"channels": [...]}', listing.text[:200])


@pytest.mark.req("API-JSON")
@pytest.mark.level("api")
def test_answers_are_json(account, rng):
    owner = account()
    answers = {
        "list channels (200)": owner.client.list_channels(),
        "unknown channel (404)": owner.client.get_channel(ascii_text(16, rng)),
        "no key (401)": owner.client.list_channels(api_key=None),
        "invalid body (4xx)": owner.client.request("POST", "/messages/send", json={"channel_id": 1}),
        "redirect list (200)": owner.client.request("GET", "/redirects"),
    }
    for what, response in answers.items():
        content_type = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        expect.check(content_type == "application/json", "API-JSON", f"Content-Type of {what}", "application/json",
                     f"{response.headers.get('content-type')!r} ({expect.describe(response)})")
        if what.startswith("redirect list"):  # an object or a bare array (REDIRECT-LIST readings)
            readings.list_items(response, "redirects", "API-JSON", f"body of {what}")
        else:
            expect.json_object(response, "API-JSON", f"body of {what}")


@pytest.mark.req("API-CREATE-STATUS")
@pytest.mark.level("api")
def test_creating_a_redirect_answers_success(account, cleanups, rng):
    owner = account()
    uri = f"https://app-{ascii_text(8, rng)}.example.com/callback"

    response = owner.client.request("POST", "/redirects", json={"uri_pattern": uri})

    readings.created(response, "API-CREATE-STATUS", "POST /redirects")
    body = expect.json_object(response, "API-CREATE-STATUS", "created redirect")
    if body.get("id"):
        cleanups.append(lambda: owner.client.request("DELETE", f"/redirects/{body['id']}"))
    listed = owner.client.request("GET", "/redirects").text
    expect.check(uri in listed, "API-CREATE-STATUS", "GET /redirects after the creation", f"lists {uri}", listed[:300])


@pytest.mark.req("API-CREATE-STATUS")
@pytest.mark.level("simulated")
def test_creating_a_template_answers_success(account, channel, rng):
    owner = account(tier="pro", subscription_status="active", source="paddle")
    ch = channel(owner, "whatsapp")
    name = tpl.unique_name(rng, "kit_create")

    response = tpl.create(owner.client, ch.id, tpl.template_request(name))

    readings.created(response, "API-CREATE-STATUS", "POST /channels/{id}/templates")
    body = expect.json_object(response, "API-CREATE-STATUS", "created template")
    expect.check(body.get("id") not in (None, "") and body.get("name") == name, "API-CREATE-STATUS",
                 "created template", f"the template {name!r} with its id", body)
    names = [t.get("name") for t in tpl.listed(owner.client, ch.id, "API-CREATE-STATUS", sync="false")]
    expect.check(name in names, "API-CREATE-STATUS", "GET /channels/{id}/templates?sync=false after the creation",
                 f"lists {name}", names)


@pytest.mark.req("API-TIMESTAMP-FORMAT")
@pytest.mark.level("simulated")
def test_rest_timestamps_are_iso8601_utc(account, channel, request, fiwano_profile, rng):
    owner = account()
    ch = channel(owner, "whatsapp")
    now = target_now(request)  # the harness clock at the controlled level, else the target's (this machine's) time
    body = expect.json_object(owner.client.get_channel(ch.id), "API-TIMESTAMP-FORMAT", "channel")
    uri = f"https://ts-{ascii_text(8, rng)}.example.com/callback"
    expect.status(owner.client.request("POST", "/redirects", json={"uri_pattern": uri}), (200, 201),
                  "API-TIMESTAMP-FORMAT", "register a redirect URI")
    setup = expect.json_object(readings.setup_started(owner.client.request(
        "POST", "/channels/setup-url", json={"channel_type": "whatsapp", "redirect_uri": uri}),
        "API-TIMESTAMP-FORMAT", "setup-url"), "API-TIMESTAMP-FORMAT", "setup-url body")

    stamps = {"connected_at": body.get("connected_at"), "token_expires_at": body.get("token_expires_at"),
              "subscription.expires_at": (body.get("subscription") or {}).get("expires_at"),
              "setup-url expires_at": setup.get("expires_at")}
    parsed = {}
    for name, value in stamps.items():
        if value is None and name != "setup-url expires_at":
            continue
        parsed[name] = readings.timestamp(value, "API-TIMESTAMP-FORMAT", name)
    slack = timedelta(minutes=5)
    if "connected_at" in parsed:
        expect.check(abs(parsed["connected_at"] - now) <= slack, "API-TIMESTAMP-FORMAT", "connected_at of a channel "
                     "connected just now, read as UTC", f"within 5 min of the target's UTC time {now.isoformat()}",
                     stamps["connected_at"])
    ttl = timedelta(seconds=fiwano_profile["setup_url_ttl_seconds"])
    expect.check(abs(parsed["setup-url expires_at"] - (now + ttl)) <= slack, "API-TIMESTAMP-FORMAT",
                 "setup-url expires_at, read as UTC", f"about {(now + ttl).isoformat()} (now + {ttl})",
                 stamps["setup-url expires_at"])


@pytest.mark.req("ERR-VALIDATION-STATUS")
@pytest.mark.level("api")
def test_invalid_requests_are_4xx(account):
    owner = account()
    cases = {
        "send, malformed JSON": ("POST", "/messages/send", {"content": b'{"channel_id": "x", '}),
        "send, text a number": ("POST", "/messages/send", {"json": {"channel_id": "x", "recipient": "1", "text": 5}}),
        "send, body an array": ("POST", "/messages/send", {"json": [1, 2]}),
        "redirect, missing uri_pattern": ("POST", "/redirects", {"json": {}}),
        "redirect, uri_pattern a list": ("POST", "/redirects", {"json": {"uri_pattern": ["https://a.example"]}}),
        "redirect, malformed JSON": ("POST", "/redirects", {"content": b"{uri_pattern: https}"}),
        "setup-url, channel_type out of range": ("POST", "/channels/setup-url",
                                                 {"json": {"channel_type": "sms",
                                                           "redirect_uri": "https://a.example/cb"}}),
        "setup-url, missing redirect_uri": ("POST", "/channels/setup-url", {"json": {"channel_type": "whatsapp"}}),
        "send-media, media_type out of range": ("POST", "/messages/send-media", {"json": {
            "channel_id": "x", "recipient": "1", "media_type": "gif", "media_url": "https://a.example/a.gif"}}),
    }
    statuses = {}
    for what, (method, path, kwargs) in cases.items():
        response = owner.client.request(method, path, **kwargs)
        statuses[what] = response.status_code
        expect.check(400 <= response.status_code < 500 and response.status_code not in (401, 402, 429),
                     "ERR-VALIDATION-STATUS", what, "a 4xx validation error (never 2xx or 5xx)",
                     expect.describe(response))
        expect.error_detail(response, "ERR-VALIDATION-STATUS", f"{what} body", string=False)
        if response.status_code in (400, 422):
            readings.validation_refused(response, "ERR-VALIDATION-STATUS", what)


@pytest.mark.req("ERR-402-PAYMENT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("status", ["expired", "canceled", "none"])
def test_402_for_an_inactive_subscription(account, channel, simulator, status, rng):
    owner = account(tier="pro", subscription_status=status)
    ch = channel(owner, "whatsapp")
    recipient = user_id("whatsapp", rng)
    open_window(simulator, ch, recipient, "ERR-402-PAYMENT")

    response = owner.client.send_text(ch.id, recipient, "while the subscription is " + status)

    expect.status(response, 402, "ERR-402-PAYMENT", f"send with a {status} subscription")
    expect.error_detail(response, "ERR-402-PAYMENT", "402 body", string=False)
    expect.check(not meta_sends(simulator, ch), "ERR-402-PAYMENT", "calls to Meta's send endpoint", "none",
                 [e.path for e in meta_sends(simulator, ch)])


@pytest.mark.req("ERR-402-PAYMENT")
@pytest.mark.level("simulated")
def test_402_is_not_used_for_other_errors(account, channel, simulator, fiwano_profile, rng):
    starter = account(tier="starter", subscription_status="active")
    ch = channel(starter, "whatsapp")
    recipient = user_id("whatsapp", rng)
    open_window(simulator, ch, recipient, "ERR-402-PAYMENT")
    limit = fiwano_profile["text_max_chars"]["whatsapp"]
    answers = {
        "text on an active Starter license": starter.client.send_text(ch.id, recipient, "starter text"),
        "unknown channel": starter.client.send_text(ascii_text(16, rng), recipient, "x"),
        "invalid body": starter.client.request("POST", "/messages/send", json={"channel_id": ch.id}),
        "text too long": starter.client.send_text(ch.id, recipient, ascii_text(limit + 1, rng)),
        "wrong key": starter.client.list_channels(api_key="mip_live_" + ascii_text(43, rng)),
    }
    media = starter.client.request("POST", "/messages/send-media", json={
        "channel_id": ch.id, "recipient": recipient, "media_type": "image",
        "media_url": "https://cdn.example.com/photo.jpg"})

    wrong = {what: r.status_code for what, r in answers.items() if r.status_code == 402}
    expect.check(not wrong, "ERR-402-PAYMENT", "non-billing errors and an allowed Starter send", "never 402", wrong)
    expect.status(answers["text on an active Starter license"], 200, "ERR-402-PAYMENT", "text on Starter")
    expect.status(media, 402, "ERR-402-PAYMENT", "send-media (a Pro feature) on an active Starter license")


@pytest.mark.req("ERR-502-UPSTREAM", "ERR-NO-INTERNALS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
@pytest.mark.parametrize("fault", [
    pytest.param({"kind": "http_error", "status": 500, "code": 1}, id="500"),
    pytest.param({"kind": "http_error", "status": 502, "html": True}, id="html"),
    pytest.param({"kind": "reset"}, id="reset"),
])
def test_profile_with_meta_failing_is_502(account, channel, channel_type, simulator, fiwano_target, rng, fault):
    owner = account()
    ch = channel(owner, channel_type)
    user = user_id(channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, user, "hello")
    simulator.add_faults(ch.world.world_id, [{"match": {"path_contains": user}, "action": fault, "times": None}])

    response = owner.client.request("GET", f"/channels/{ch.id}/profile/{user}")

    expect.status(response, 502, "ERR-502-UPSTREAM", f"profile while Meta answers {fault}")
    expect.error_detail(response, "ERR-502-UPSTREAM", "502 body", string=False)
    sim_host = (fiwano_target.simulator_url or "").split("://")[-1]
    _no_internals(response, "ERR-NO-INTERNALS", "a 502", extra=(ch.asset.access_token, sim_host))


@pytest.mark.req("ERR-NO-INTERNALS")
@pytest.mark.level("api")
def test_error_bodies_reveal_no_internals(account, rng):
    owner = account()
    deep = b"[" * 5000 + b"]" * 5000
    answers = {
        "malformed JSON": owner.client.request("POST", "/messages/send", content=b'{"text": "\\x"}'),
        "deeply nested JSON": owner.client.request("POST", "/messages/send", content=deep),
        "invalid UTF-8": owner.client.request("POST", "/redirects", content=b'{"uri_pattern": "\xff\xfe"}'),
        "NaN": owner.client.request("POST", "/messages/send", content=b'{"channel_id": NaN}'),
        "path traversal id": owner.client.get_channel("..%2f..%2fetc%2fpasswd"),
        "very long id": owner.client.get_channel("a" * 5000),
        "quote in id": owner.client.get_channel("x'OR'1'='1"),
        "wrong types": owner.client.request("POST", "/channels/setup-url",
                                            json={"channel_type": {"$ne": 1}, "redirect_uri": 5}),
    }
    for what, response in answers.items():
        expect.check(response.status_code < 500, "ERR-NO-INTERNALS", what, "a 4xx (never 5xx)",
                     expect.describe(response))
        _no_internals(response, "ERR-NO-INTERNALS", what)


BAD_UNICODE = {
    "lone-high-surrogate": b'"a\\ud800b"',
    "lone-low-surrogate": b'"\\udc00"',
    "reversed-pair": b'"\\udc00\\ud800"',
    "nul": b'"a\\u0000b"',
    "invalid-utf8": b'"a\xff\xfeb"',
    "overlong-utf8": b'"\xc0\xaf"',
    "noncharacter": b'"\\uffff"',
    "bom-and-rtl-override": b'"\\ufeffabc\\u202edef"',
}


@pytest.mark.req("SEND-TEXT-BAD-UNICODE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("case", list(BAD_UNICODE))
def test_bad_unicode_text_is_never_a_5xx(account, channel, channel_type, simulator, rng, case):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-BAD-UNICODE")
    raw = b'{"channel_id": "%s", "recipient": "%s", "text": %s}' % (ch.id.encode(), recipient.encode(),
                                                                   BAD_UNICODE[case])

    response = owner.client.request("POST", "/messages/send", content=raw)

    expect.check(response.status_code < 500, "SEND-TEXT-BAD-UNICODE", f"send with {case} in the text",
                 "a 4xx or a send (never 5xx)", expect.describe(response))
    if response.status_code != 200:  # a refusal is a validation error: 422 or 400, never another 4xx
        readings.validation_refused(response, ("SEND-TEXT-BAD-UNICODE", "ERR-VALIDATION-STATUS"), f"send with {case}")
