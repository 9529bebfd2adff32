"""Profile fiwano-2026-10, changelog 2026-10-01 "Bearer auth": the key is also accepted as
``Authorization: Bearer <key>``; X-API-Key is primary and wins when both are sent.

Under the default profile these tests are not judged (their requirements belong to fiwano-2026-10; the
plugin skips them as not-claimed before any fixture runs, docs/profiles.md).
"""

from __future__ import annotations

import pytest

from suites import expect

# (method, path) of key-protected reads every account can make; the Bearer key must work on each kind
OPERATIONS = [("GET", "/channels"), ("GET", "/redirects")]


@pytest.mark.req("AUTH-BEARER-ACCEPTED")
@pytest.mark.level("api")
@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_bearer_key_authenticates(account, scheme, method, path):
    owner = account()
    with_header = owner.client.request(method, path)  # the v1 way, for comparison

    response = owner.client.request(method, path, api_key=None,
                                    headers={"Authorization": f"{scheme} {owner.api_key}"})

    expect.status(response, 200, "AUTH-BEARER-ACCEPTED", f"{method} {path} with Authorization: {scheme} <key>")
    expect.check(response.json() == with_header.json(), "AUTH-BEARER-ACCEPTED",
                 f"{method} {path} with the Bearer key", with_header.json(), response.json())


@pytest.mark.req("AUTH-BEARER-UNKNOWN-401", "AUTH-401-BODY")
@pytest.mark.level("api")
@pytest.mark.parametrize("value", ["Bearer mip_live_0000000000000000000000000000000000000000", "Bearer",
                                   "Bearer not-a-key", "Basic {key}", "{key}"],
                         ids=["unknown", "empty", "garbage", "basic-scheme", "no-scheme"])
def test_bearer_without_valid_key_is_401(account, value):
    owner = account()

    response = owner.client.request("GET", "/channels", api_key=None,
                                    headers={"Authorization": value.replace("{key}", owner.api_key)})

    expect.status(response, 401, "AUTH-BEARER-UNKNOWN-401", "GET /channels with Authorization: "
                  + value.replace("{key}", "<the valid key>"))
    expect.error_detail(response, "AUTH-401-BODY", "401 body")


@pytest.mark.req("AUTH-BEARER-X-API-KEY-WINS")
@pytest.mark.level("api")
def test_x_api_key_wins_over_bearer(account):
    owner, other = account(), account()
    bogus = "mip_live_" + "0" * 40
    pattern = "https://bearer-test.example.com/cb"
    expect.status(owner.client.request("POST", "/redirects", json={"uri_pattern": pattern}), (200, 201),
                  "AUTH-BEARER-X-API-KEY-WINS", "POST /redirects of the X-API-Key's account")

    valid_header = owner.client.request("GET", "/redirects", headers={"Authorization": f"Bearer {bogus}"})
    wrong_header = owner.client.request("GET", "/redirects", api_key=bogus,
                                        headers={"Authorization": f"Bearer {owner.api_key}"})
    two_keys = owner.client.request("GET", "/redirects", headers={"Authorization": f"Bearer {other.api_key}"})

    expect.status(valid_header, 200, "AUTH-BEARER-X-API-KEY-WINS", "a valid X-API-Key with an unknown Bearer key")
    expect.status(wrong_header, 401, "AUTH-BEARER-X-API-KEY-WINS", "an unknown X-API-Key with a valid Bearer key")
    expect.status(two_keys, 200, "AUTH-BEARER-X-API-KEY-WINS", "two valid keys of different accounts")
    expect.check(pattern in two_keys.text, "AUTH-BEARER-X-API-KEY-WINS",
                 "GET /redirects with two valid keys: the X-API-Key's redirects, not the Bearer key's",
                 f"a list holding {pattern}", two_keys.text[:300])


@pytest.mark.req("AUTH-KEY-NOT-IN-QUERY")
@pytest.mark.level("api")
@pytest.mark.parametrize("name", ["api_key", "X-API-Key", "access_token"])
def test_key_in_query_does_not_authenticate(account, name):
    owner = account()

    response = owner.client.request("GET", "/channels", api_key=None, params={name: owner.api_key})

    expect.status(response, 401, "AUTH-KEY-NOT-IN-QUERY", f"GET /channels with the key only in query {name}")
