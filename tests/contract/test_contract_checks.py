"""suites/contract_checks.py: REST answers and webhook bodies against the contract, with clear failures."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import contract
from suites import contract_checks as cc

UUID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/api/v1/channels", "listChannels"),
    ("POST", "/api/v1/channels/setup-url", "createSetupUrl"),
    ("POST", "/api/v1/channels/exchange-code", "exchangeCode"),
    ("GET", "/api/v1/channels/abc123", "getChannel"),
    ("PATCH", "/api/v1/channels/abc123/", "updateChannel"),
    ("GET", "/api/v1/channels/abc/profile/42", "getSenderProfile"),
    ("GET", "/api/v1/channels/abc/templates?sync=false", "listTemplates"),
    ("DELETE", "/api/v1/channels/abc/templates/tpl_1", "deleteTemplate"),
    ("DELETE", "/api/v1/redirects/redir_1", "deleteRedirect"),
    ("GET", "/api/v1/media/m1", "downloadMedia"),
])
def test_find_operation(method, path, expected):
    assert cc.find_operation(method, path) == expected
    assert cc.find_operation(expected) == expected


def test_unknown_operation_is_a_lookup_error():
    with pytest.raises(cc.ContractLookupError):
        cc.find_operation("GET", "/api/v2/nothing")
    with pytest.raises(cc.ContractLookupError):
        cc.find_operation("noSuchOperation")


def test_good_answers_pass():
    cc.check_response("sendText", 200, {"success": True, "message_id": UUID})
    cc.check_response("sendText", 200, {"status": "queued", "message_id": UUID})
    cc.check_response("sendText", 200, {"success": False, "status": "failed", "error": "(#100) Invalid parameter"})
    cc.check_response("POST /api/v1/messages/send", 401, b'{"detail": "Invalid API key"}')
    cc.check_response("sendMedia", 200, {"success": False, "error_code": 131052, "error": "x", "status": "failed"})
    cc.check_response("sendText", 422, {"detail": [{"loc": ["body", "text"], "msg": "field required", "type": "missing"}]})
    cc.check_response("downloadMedia", 200, b"\x89PNG...")  # binary: no JSON schema


@pytest.mark.parametrize(("operation", "status", "body", "needle"), [
    ("sendText", 200, {"success": True}, "message_id"),
    ("sendText", 200, {"success": False, "status": "failed"}, "error"),
    ("sendText", 200, {"success": True, "message_id": "not-a-uuid"}, "$.message_id"),
    ("sendText", 400, {"detail": {"code": "text_too_long", "message": "m", "actual_length": "1001",
                                  "max_length": 1000, "channel_type": "instagram", "hint": "h"}}, "actual_length"),
    ("getChannel", 404, {"error": "not found"}, "detail"),
    ("listChannels", 200, {"channels": [], "total": "0"}, "$.total"),
    ("createSetupUrl", 200, {"setup_url": "https://x", "session_id": "s"}, "expires_at"),
])
def test_bad_answers_fail_with_a_clear_message(operation, status, body, needle):
    with pytest.raises(AssertionError) as info:
        cc.check_response(operation, status, body)
    message = str(info.value)
    assert message.startswith("contract: ") and operation in message and str(status) in message
    assert needle in message


def test_readings_are_accepted():
    cc.check_response("getChannel", 404, {"detail": {"code": "not_found", "message": "Channel not found"}})  # ERR-FORMAT
    cc.check_response("deleteRedirect", 204, b"")  # API-DELETE-STATUS no-content-204
    cc.check_response("addRedirect", 201, {"id": "r1", "uri_pattern": "https://a.example/cb"})  # API-CREATE-STATUS
    cc.check_response("addRedirect", 200, {"id": "r1", "uri_pattern": "https://a.example/cb"})
    cc.check_response("sendText", 400, {"detail": "Channel is inactive"})


def test_undeclared_status_fails():
    with pytest.raises(AssertionError, match="does not declare"):
        cc.check_response("listChannels", 500, {"detail": "boom"})


def test_non_json_body_fails():
    with pytest.raises(AssertionError, match="not JSON"):
        cc.check_response("listChannels", 200, b"<html>")


def test_httpx_like_response():
    request = SimpleNamespace(method="GET", url=SimpleNamespace(path="/api/v1/channels/abc"))
    channel = contract.load_openapi()["components"]["examples"]["ChannelListDocs"]["value"]["channels"][0]
    good = SimpleNamespace(request=request, status_code=200, headers={"content-type": "application/json"},
                           content=json.dumps(channel).encode())
    cc.check_response(good)
    wrong_type = SimpleNamespace(request=request, status_code=200, headers={"content-type": "text/html"},
                                 content=good.content)
    with pytest.raises(AssertionError, match="Content-Type"):
        cc.check_response(wrong_type)
    broken = dict(channel, subscription=dict(channel["subscription"], status="paused"))
    bad = SimpleNamespace(request=request, status_code=200, headers={"content-type": "application/json"},
                          content=json.dumps(broken).encode())
    with pytest.raises(AssertionError, match=r"\$\.subscription\.status"):
        cc.check_response(bad)


def test_subscription_rules():
    channel = contract.load_openapi()["components"]["examples"]["ChannelListDocs"]["value"]["channels"][0]
    none_shape = dict(channel, subscription={"status": "none", "source": None, "tier": None,
                                             "expires_at": None, "auto_renew": False})
    cc.check_response("getChannel", 200, none_shape)
    for bad in ({"status": "none", "source": "trial", "tier": None, "expires_at": None, "auto_renew": False},
                {"status": "active", "source": "trial", "tier": "pro", "expires_at": "2025-01-01T00:00:00Z",
                 "auto_renew": True},
                {"status": "active", "source": "paddle", "tier": "pro", "expires_at": None, "auto_renew": False}):
        with pytest.raises(AssertionError):
            cc.check_response("getChannel", 200, dict(channel, subscription=bad))


def test_webhook_checks():
    for path in contract.WEBHOOK_EXAMPLES_DIR.glob("*.json"):
        cc.check_webhook(path.read_bytes())
    body = json.loads((contract.WEBHOOK_EXAMPLES_DIR / "message.received.instagram-text.json").read_text())
    cc.check_webhook(body, event="message.received")
    with pytest.raises(AssertionError, match=r"expected 'message.read'"):
        cc.check_webhook(body, event="message.read")
    body["data"]["from_name"] = "Jane"
    with pytest.raises(AssertionError) as info:
        cc.check_webhook(json.dumps(body))
    message = str(info.value)
    assert "message.received.schema.json" in message and "$.data.from_name" in message and '"Jane"' in message
    with pytest.raises(AssertionError, match="not JSON"):
        cc.check_webhook(b"\xff")
    with pytest.raises(cc.ContractLookupError):
        cc.check_webhook(body, event="message.deleted")


def test_validators_are_cached():
    cc.check_response("sendText", 200, {"success": True, "message_id": UUID})
    before = cc._validator_for_pointer.cache_info().currsize
    for _ in range(50):
        cc.check_response("sendText", 200, {"success": True, "message_id": UUID})
    assert cc._validator_for_pointer.cache_info().currsize == before
    assert cc._webhook_validator.cache_info().currsize <= len(contract.load_webhook_schemas())
