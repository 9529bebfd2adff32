"""Authentication: every /api/v1 call needs a valid X-API-Key; anything else is 401 {"detail": "..."}.

Spec: fiwano-api.md "Authentication" and "Errors & Rate Limits". Authentication comes before any lookup,
so an unauthenticated call on a channel id that does not exist is 401 too, not 404.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.clients import FiwanoClient

# (method, path, json body) of documented endpoints; {cid} is a channel id that does not exist.
ENDPOINTS = [
    ("GET", "/channels", None),
    ("GET", "/channels/{cid}", None),
    ("PATCH", "/channels/{cid}", {"webhook_events": []}),
    ("DELETE", "/channels/{cid}", None),
    ("POST", "/messages/send", {"channel_id": "{cid}", "recipient": "15550000000", "text": "hello"}),
    # the other operations of contract/openapi.yaml: every one needs the key (the contract's global security)
    ("POST", "/channels/setup-url", {"channel_type": "whatsapp", "redirect_uri": "https://app.example.com/cb"}),
    ("POST", "/channels/exchange-code", {"code": "{cid}"}),
    ("GET", "/channels/{cid}/profile/1234567890", None),
    ("GET", "/channels/{cid}/templates", None),
    ("POST", "/channels/{cid}/templates", {"name": "order_update", "language": "en_US", "category": "UTILITY",
                                            "components": [{"type": "BODY", "text": "Hello"}]}),
    ("GET", "/channels/{cid}/templates/{cid}", None),
    ("PUT", "/channels/{cid}/templates/{cid}", {"components": [{"type": "BODY", "text": "Hello"}]}),
    ("DELETE", "/channels/{cid}/templates/{cid}", None),
    ("GET", "/redirects", None),
    ("POST", "/redirects", {"uri_pattern": "https://app.example.com/cb"}),
    ("DELETE", "/redirects/{cid}", None),
    ("POST", "/messages/send-template", {"channel_id": "{cid}", "recipient": "15550000000",
                                         "template_name": "order_update", "language": "en_US"}),
    ("POST", "/messages/send-media", {"channel_id": "{cid}", "recipient": "15550000000", "media_type": "image",
                                      "media_url": "https://cdn.example.com/a.png"}),
    ("GET", "/media/{cid}", None),
]
ENDPOINT_IDS = [f"{m} {p}" for m, p, _ in ENDPOINTS]


def _fill(value, cid):
    if isinstance(value, str):
        return value.replace("{cid}", cid)
    if isinstance(value, dict):
        return {k: _fill(v, cid) for k, v in value.items()}
    return value


@pytest.fixture
def anonymous(fiwano_target, evidence) -> FiwanoClient:
    client = FiwanoClient(fiwano_target.url, None, evidence)
    yield client
    client.close()


@pytest.fixture
def unknown_channel_id(rng) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(16))


@pytest.mark.req("AUTH-KEY-REQUIRED", "AUTH-401-BODY", "AUTH-BEFORE-LOOKUP", "ERR-FORMAT")
@pytest.mark.level("api")
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_request_without_key_is_401(anonymous, unknown_channel_id, method, path, body):
    response = anonymous.request(method, _fill(path, unknown_channel_id),
                                 **({"json": _fill(body, unknown_channel_id)} if body is not None else {}))

    expect.status(response, 401, "AUTH-KEY-REQUIRED", "request without X-API-Key")
    expect.error_detail(response, "AUTH-401-BODY", "401 body")
    expect.conforms(response, "AUTH-401-BODY")


@pytest.mark.req("AUTH-KEY-UNKNOWN", "AUTH-401-BODY", "AUTH-BEFORE-LOOKUP")
@pytest.mark.level("api")
@pytest.mark.parametrize("kind", ["empty", "garbage", "wrong-prefix", "unknown"])
@pytest.mark.parametrize(("method", "path", "body"), [ENDPOINTS[0], ENDPOINTS[1], ENDPOINTS[4]],
                         ids=[ENDPOINT_IDS[0], ENDPOINT_IDS[1], ENDPOINT_IDS[4]])
def test_invalid_key_is_401(account, unknown_channel_id, kind, method, path, body):
    real = account()
    suffix = real.api_key[len("mip_live_"):] if real.api_key.startswith("mip_live_") else real.api_key
    bad_key = {
        "empty": "",
        "garbage": "not-an-api-key",
        "wrong-prefix": "mip_test_" + suffix,
        "unknown": real.api_key[:-1] + ("A" if real.api_key[-1] != "A" else "B"),
    }[kind]
    kwargs = {"json": _fill(body, unknown_channel_id)} if body is not None else {}
    control = real.client.request(method, _fill(path, unknown_channel_id), **kwargs)
    expect.check(control.status_code != 401, "AUTH-KEY-UNKNOWN", "control call with the account's valid key",
                 "a non-401 answer (the key works)", expect.describe(control))

    response = real.client.request(method, _fill(path, unknown_channel_id), api_key=bad_key, **kwargs)

    expect.status(response, 401, "AUTH-KEY-UNKNOWN", f"request with a {kind} X-API-Key")
    expect.error_detail(response, "AUTH-401-BODY", "401 body")
    expect.conforms(response, "AUTH-401-BODY")


@pytest.mark.req("AUTH-KEY-UNKNOWN", "AUTH-401-BODY")
@pytest.mark.level("controlled", reason="needs the harness to mint and revoke API keys")
def test_revoked_key_is_401(account):
    owner = account()
    key, key_id = owner.new_key()
    client = owner.client.with_key(key)
    expect.status(client.list_channels(), 200, "AUTH-KEY-UNKNOWN", "the new key before revocation")

    owner.revoke_key(key_id)
    response = client.list_channels()

    expect.status(response, 401, "AUTH-KEY-UNKNOWN", "request with a revoked X-API-Key")
    expect.error_detail(response, "AUTH-401-BODY", "401 body")
    expect.status(owner.client.list_channels(), 200, "AUTH-KEY-UNKNOWN",
                  "the account's other key after revoking one key")


@pytest.mark.req("AUTH-KEY-PREFIX")
@pytest.mark.level("controlled", reason="needs the harness to mint API keys")
def test_issued_keys_start_with_mip_live(account):
    owner = account()
    extra_key, _ = owner.new_key()

    for what, key in (("the account's first key", owner.api_key), ("a key minted later", extra_key)):
        expect.check(key.startswith("mip_live_") and len(key) > len("mip_live_"), "AUTH-KEY-PREFIX", what,
                     "a key starting with mip_live_", key[:12] + "…")


@pytest.mark.req("AUTH-KEY-REQUIRED", "AUTH-BEFORE-LOOKUP", "ISOLATION-NO-SIDE-EFFECT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS[1:], ids=ENDPOINT_IDS[1:])
def test_existing_channel_without_key_is_401_and_unchanged(account, channel, anonymous, simulator, method, path, body):
    owner = account()
    ch = channel(owner, "whatsapp")
    before = owner.client.get_channel(ch.id).json()

    response = anonymous.request(method, _fill(path, ch.id), **({"json": _fill(body, ch.id)} if body else {}))

    expect.status(response, 401, "AUTH-BEFORE-LOOKUP", "request without X-API-Key on an existing channel")
    after = owner.client.get_channel(ch.id).json()
    expect.check(after == before, "ISOLATION-NO-SIDE-EFFECT", "the channel after the unauthenticated call",
                 "unchanged", {"before": before, "after": after})
    sends = simulator.journal(ch.world.world_id, method="POST", path_contains="/messages")
    expect.check(not sends, "ISOLATION-NO-SIDE-EFFECT", "calls to Meta's send endpoint", "none",
                 [e.path for e in sends])


@pytest.mark.req("AUTH-HEADER-CASE")
@pytest.mark.level("api")
def test_key_header_name_is_case_insensitive(account):
    owner = account()

    response = owner.client.request("GET", "/channels", api_key=None, headers={"x-api-key": owner.api_key})

    expect.status(response, 200, "AUTH-HEADER-CASE", "GET /channels with the header spelled x-api-key")


@pytest.mark.req("AUTH-HEADER-ONLY")
@pytest.mark.level("api")
@pytest.mark.parametrize("where", ["query api_key", "query X-API-Key", "Authorization Bearer"])
def test_key_outside_the_header_does_not_authenticate(account, where):
    owner = account()
    kwargs = {
        "query api_key": {"params": {"api_key": owner.api_key}},
        "query X-API-Key": {"params": {"X-API-Key": owner.api_key}},
        "Authorization Bearer": {"headers": {"Authorization": f"Bearer {owner.api_key}"}},
    }[where]

    response = owner.client.request("GET", "/channels", api_key=None, **kwargs)

    expect.status(response, 401, "AUTH-HEADER-ONLY", f"GET /channels with the key only in {where}")


@pytest.mark.req("AUTH-KEY-NOT-ECHOED")
@pytest.mark.level("api")
def test_responses_never_echo_the_key(account, unknown_channel_id):
    owner = account()
    calls = [owner.client.list_channels(), owner.client.get_channel(unknown_channel_id),
             owner.client.request("GET", "/channels", api_key=owner.api_key + "x")]

    for response in calls:
        expect.check(owner.api_key not in response.text, "AUTH-KEY-NOT-ECHOED",
                     f"body of {response.request.method} {response.request.url.path} -> {response.status_code}",
                     "no trace of the API key", "the full key appears in the body")
