from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from reference.app import create_app
from tests.reference.conftest import make_settings


def test_key_format_and_only_hash_stored(ctx):
    account = ctx.account()
    key = account["api_key"]
    assert key.startswith("mip_live_") and len(key) >= 40
    rows = ctx.comps.db.all("SELECT * FROM api_keys")
    assert len(rows) == 1
    stored = " ".join(str(v) for v in dict(rows[0]).values())
    assert key not in stored
    assert rows[0]["key_hash"] == hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.parametrize("headers", [
    {}, {"X-API-Key": ""}, {"X-API-Key": "garbage"}, {"X-API-Key": "mip_live_" + "x" * 43},
    {"X-API-Key": "mip_test_" + "x" * 43}, {"X-API-Key": ("mip_live_" + "é" * 10).encode()}, {"X-API-Key": "k" * 10000},
    {"Authorization": "Bearer mip_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
])
def test_missing_or_bad_key_is_401_with_detail(ctx, headers):
    ctx.account()
    for method, path in [("GET", "/channels"), ("GET", "/channels/abc"), ("PATCH", "/channels/abc"),
                         ("DELETE", "/channels/abc"), ("POST", "/messages/send")]:
        response = ctx.client.request(method, "/api/v1" + path, headers=headers, content=b"{not json")
        assert response.status_code == 401, (method, path, response.text)
        assert isinstance(response.json()["detail"], str)


def test_header_name_is_case_insensitive_and_key_works(ctx):
    account = ctx.account()
    response = ctx.client.get("/api/v1/channels", headers={"x-api-key": account["api_key"]})
    assert response.status_code == 200
    assert response.json() == {"channels": [], "total": 0}


def test_revoked_key_is_401_and_other_key_still_works(ctx):
    account = ctx.account()
    extra = ctx.client.post(f"/harness/accounts/{account['account_id']}/keys")
    assert extra.status_code == 201
    second = extra.json()
    assert second["api_key"].startswith("mip_live_") and second["api_key"] != account["api_key"]
    assert ctx.client.delete(f"/harness/keys/{account['key_id']}").status_code == 204
    revoked = ctx.api("GET", "/channels", account["api_key"])
    unknown = ctx.api("GET", "/channels", "mip_live_" + "q" * 43)
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.json() == unknown.json()
    assert ctx.api("GET", "/channels", second["api_key"]).status_code == 200


def test_duplicate_key_headers_are_refused(ctx):
    account = ctx.account()
    response = ctx.client.get("/api/v1/channels",
                              headers=[("X-API-Key", account["api_key"]), ("X-API-Key", "mip_live_other")])
    assert response.status_code == 401


def test_harness_is_off_by_default(tmp_path):
    app = create_app(make_settings(tmp_path, test_mode=False))
    with TestClient(app) as client:
        for method, path in [("GET", "/harness/health"), ("POST", "/harness/accounts"),
                             ("POST", "/harness/clock/advance"), ("GET", "/harness/clock")]:
            response = client.request(method, path, json={"tier": "pro", "subscription_status": "active"})
            assert response.status_code == 404
            assert "detail" in response.json()


def test_harness_health(ctx):
    assert ctx.client.get("/harness/health").json() == {"status": "ok", "test_mode": True}


def test_harness_validation(ctx):
    assert ctx.client.post("/harness/accounts", json={"tier": "gold"}).status_code == 422
    assert ctx.client.post("/harness/accounts/acc_nope/keys").status_code == 404
    assert ctx.client.delete("/harness/keys/key_nope").status_code == 404
    account = ctx.account()
    response = ctx.client.post(f"/harness/accounts/{account['account_id']}/channels",
                               json={"channel_type": "whatsapp", "asset_id": "999", "access_token": "nope",
                                     "waba_id": "1"})
    assert response.status_code == 400 and "detail" in response.json()
