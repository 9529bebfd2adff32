"""Every reading the docs permit passes the contract checks and the suites' shared assertions (issue 19).

Each case feeds one permitted shape of an answer (null vs omitted, extra fields, ignored vs refused events,
offset-less vs offset timestamps, 400 vs 422, string vs object detail, 200 vs 201, object vs array lists,
delay-seconds vs HTTP-date) to ``suites/contract_checks.py`` and to the helpers of ``suites/readings.py``
that every suite module goes through, and checks that none fails, that the reading is recorded, and that a
pinned other reading does fail.
"""

from __future__ import annotations

import copy
import email.utils
import json
from datetime import datetime, timezone

import httpx
import pytest

import contract
from suites import contract_checks as cc
from suites import expect, readings
from suites.config import ConfigError, SuiteConfig

CHANNEL = contract.load_openapi()["components"]["examples"]["ChannelListDocs"]["value"]["channels"][0]
REDIRECT = {"id": "redir_1", "uri_pattern": "https://app.example.com/cb"}


def answer(method: str, path: str, status: int, body=None, headers: dict | None = None) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    kind = {"content-type": "application/json"} if body is not None else {}
    return httpx.Response(status, content=content, headers={**kind, **(headers or {})},
                          request=httpx.Request(method, f"https://target.example{path}"))


def shown(props: list) -> list[str]:
    return [value for name, value in props if name == readings.PROPERTY]


# ------------------------------------------------------------------------------------------- statuses


@pytest.mark.parametrize(("status", "reading"), [(422, "unprocessable-422"), (400, "bad-request-400")])
@pytest.mark.parametrize("detail", ["channel_type must be one of whatsapp, instagram, facebook",
                                    [{"loc": ["body", "channel_type"], "msg": "bad value", "type": "enum"}],
                                    {"code": "validation_error", "message": "channel_type is invalid"}],
                         ids=["string", "list", "object"])
def test_validation_errors_400_or_422_with_any_detail(status, reading, detail):
    response = answer("POST", "/api/v1/channels/setup-url", status, {"detail": detail})
    with readings.bound() as props:
        readings.validation_refused(response, "CONNECT-SETUP-CHANNEL-TYPE", "setup-url")
        expect.error_detail(response, "ERR-FORMAT", "validation body")
        cc.check_response(response)
    assert f"ERR-VALIDATION-STATUS={reading}" in shown(props)


@pytest.mark.parametrize(("status", "reading"), [(201, "created-201"), (200, "ok-200")])
def test_creations_200_or_201(status, reading):
    response = answer("POST", "/api/v1/redirects", status, {**REDIRECT, "created_at": "2026-01-01T00:00:00Z"})
    with readings.bound() as props:
        readings.created(response, "API-CREATE-STATUS", "POST /redirects")
        cc.check_response(response)
    assert shown(props) == [f"API-CREATE-STATUS={reading}"]


@pytest.mark.parametrize(("status", "reading"), [(200, "ok-200"), (201, "created-201")])
def test_exchange_code_200_or_201(status, reading):
    body = {"channel_id": "c1", "channel_type": "instagram", "name": "shop", "ig_account_id": "178",
            "ig_username": "shop", "phone_number_id": None, "waba_id": None, "webhook_url": None,
            "webhook_events": [], "is_active": True}
    response = answer("POST", "/api/v1/channels/exchange-code", status, body)
    with readings.bound() as props:
        readings.exchanged(response, "CONNECT-EXCHANGE-OK", "exchange-code")
        cc.check_response(response)
    assert shown(props) == [f"CONNECT-EXCHANGE-OK={reading}"]


@pytest.mark.parametrize(("status", "reading"), [(200, "ok-200"), (201, "created-201")])
def test_setup_url_200_or_201(status, reading):
    body = {"setup_url": "https://target.example/setup/start?session=s1", "session_id": "s1",
            "expires_at": "2026-01-15T10:40:00Z"}
    response = answer("POST", "/api/v1/channels/setup-url", status, body)
    with readings.bound() as props:
        readings.setup_started(response, "CONNECT-SETUP-URL", "setup-url")
        cc.check_response(response)
    assert shown(props) == [f"CONNECT-SETUP-URL={reading}"]
    with readings.bound({"CONNECT-SETUP-URL": "created-201" if status == 200 else "ok-200"}):
        with pytest.raises(AssertionError):
            readings.setup_started(response, "CONNECT-SETUP-URL", "setup-url")


@pytest.mark.parametrize(("status", "body", "reading"), [
    (422, {"detail": "media_type must be image, audio, video or document"}, "document-only"),
    (400, {"detail": [{"loc": ["body", "media_type"], "msg": "bad value"}]}, "document-only"),
    (200, {"success": True, "message_id": "6f1c2e44-3b0a-4c55-9d5e-0a1b2c3d4e5f"}, "file-on-messenger"),
])
def test_messenger_file_refused_or_sent(status, body, reading):
    response = answer("POST", "/api/v1/messages/send-media", status, body)
    with readings.bound() as props:
        assert readings.messenger_file(response, "MEDIA-SEND-TYPE-VALUES", "send-media file") == reading
        cc.check_response(response)
    assert f"MEDIA-SEND-TYPE-VALUES={reading}" in shown(props)
    other = "file-on-messenger" if reading == "document-only" else "document-only"
    with readings.bound({"MEDIA-SEND-TYPE-VALUES": other}), pytest.raises(AssertionError):
        readings.messenger_file(response, "MEDIA-SEND-TYPE-VALUES", "send-media file")


def test_a_messenger_file_answered_otherwise_fails():
    response = answer("POST", "/api/v1/messages/send-media", 500, {"detail": "boom"})
    with readings.bound(), pytest.raises(AssertionError, match="MEDIA-SEND-TYPE-VALUES"):
        readings.messenger_file(response, "MEDIA-SEND-TYPE-VALUES", "send-media file")


@pytest.mark.parametrize(("status", "body", "reading"), [(200, {"success": True, "id": "redir_1"}, "ok-200-json"),
                                                          (204, None, "no-content-204")])
def test_deletions_200_or_204(status, body, reading):
    response = answer("DELETE", "/api/v1/redirects/redir_1", status, body)
    with readings.bound() as props:
        readings.deleted(response, "API-DELETE-STATUS", "DELETE /redirects/{id}")
        cc.check_response(response)
    assert shown(props) == [f"API-DELETE-STATUS={reading}"]


# ------------------------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(("detail", "reading"), [("Channel not found", "string-except-text-too-long"),
                                                 ({"code": "not_found", "message": "Channel not found"},
                                                  "string-or-object")])
def test_error_detail_string_or_object(detail, reading):
    response = answer("GET", "/api/v1/channels/nope", 404, {"detail": detail, "request_id": "r-1"})
    with readings.bound() as props:
        assert expect.error_detail(response, "ERR-FORMAT", "404 body") == detail
        cc.check_response(response)
    assert shown(props) == [f"ERR-FORMAT={reading}"]


def test_an_empty_detail_still_fails():
    with readings.bound(), pytest.raises(AssertionError, match="ERR-FORMAT"):
        expect.error_detail(answer("GET", "/api/v1/channels/x", 404, {"detail": ""}), "ERR-FORMAT", "404 body")


@pytest.mark.parametrize(("body", "reading"), [({"redirects": [REDIRECT], "total": 1}, "object"),
                                               ([REDIRECT], "bare-array")])
def test_redirect_list_object_or_array(body, reading):
    response = answer("GET", "/api/v1/redirects", 200, body)
    with readings.bound() as props:
        assert readings.list_items(response, "redirects", "REDIRECT-LIST", "GET /redirects") == [REDIRECT]
        cc.check_response(response)
    assert shown(props) == [f"REDIRECT-LIST={reading}"]


def test_null_or_omitted_fields_and_extra_fields_pass_the_contract():
    omitted = copy.deepcopy(CHANNEL)
    nulled = {**copy.deepcopy(CHANNEL), "ig_account_id": None, "ig_username": None, "page_id": None,
              "webhook_url": None, "webhook_events": ["message.received", "message.echo"],
              "health": {"status": "ok", "reason": None, "since": None}}
    for body in (omitted, nulled):
        cc.check_response("getChannel", 200, body)
        cc.check_response("listChannels", 200, {"channels": [body], "total": 1, "next_cursor": None})
        assert readings.absent_or_null(body, "ig_username")
    with pytest.raises(AssertionError):  # its own identifiers stay required and typed
        cc.check_response("getChannel", 200, {**CHANNEL, "phone_number_id": None})


@pytest.mark.parametrize(("value", "reading"), [("2025-01-15T10:30:00", "naive-utc"),
                                                ("2025-01-15T10:30:00Z", "explicit-offset"),
                                                ("2025-01-15T10:30:00.123+00:00", "explicit-offset")])
def test_timestamps_with_or_without_an_offset_are_utc(value, reading):
    with readings.bound() as props:
        moment = readings.timestamp(value, "API-TIMESTAMP-FORMAT", "connected_at")
    assert moment.replace(microsecond=0) == datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
    assert shown(props) == [f"API-TIMESTAMP-FORMAT={reading}"]
    assert readings.parse_timestamp(value) == moment  # the one parser every module uses
    cc.check_response("createSetupUrl", 200, {"setup_url": "https://f.example/s", "session_id": "s1",
                                             "expires_at": value})


@pytest.mark.parametrize("value", ["2025-01-15T12:30:00+02:00", "15/01/2025", "", None])
def test_a_non_utc_or_broken_timestamp_fails(value):
    with readings.bound(), pytest.raises(AssertionError, match="API-TIMESTAMP-FORMAT"):
        readings.timestamp(value, "API-TIMESTAMP-FORMAT", "connected_at")


def test_webhooks_with_extra_fields_and_unknown_events_pass():
    body = {"event": "message.received", "channel_id": "c1", "channel_type": "whatsapp",
            "timestamp": "2025-01-15T10:30:00Z", "delivery_id": "d-1",
            "data": {"message_id": "wamid.1", "from": "1234567890", "from_name": "J", "type": "text", "text": "hi",
                     "reply_to": None}}
    cc.check_webhook(body, event="message.received")
    cc.check_webhook({**body, "event": "message.echo"})


# ------------------------------------------------------------------------------------------- events, secrets, time


def test_invalid_events_ignored_or_refused_are_both_readings():
    with readings.bound() as props:
        readings.accepts("WEBHOOK-EVENTS-PER-CHANNEL", "ignored")
        readings.accepts("WEBHOOK-EVENTS-PER-CHANNEL", "rejected")
    assert shown(props) == ["WEBHOOK-EVENTS-PER-CHANNEL=ignored", "WEBHOOK-EVENTS-PER-CHANNEL=rejected"]
    cc.check_response("updateChannel", 200, {**CHANNEL, "webhook_events": ["message.received"]})
    cc.check_response("updateChannel", 422, {"detail": "message.sent is not valid for an instagram channel"})
    cc.check_response("updateChannel", 400, {"detail": "message.sent is not valid for an instagram channel"})


@pytest.mark.parametrize(("secret", "reading"), [("ab" * 32, "hex-64"), ("cd" * 20, "other-length"),
                                                 ("Zm9vYmFyYmF6cXV4cXV1eGZvb2Jhcg-_AbCdEf", "other-length")])
def test_generated_secrets_of_another_length(secret, reading):
    with readings.bound() as props:
        readings.generated_secret(secret, 64, "WEBHOOK-SECRET-FORMAT", "secret")
    assert shown(props) == [f"WEBHOOK-SECRET-FORMAT={reading}"]


@pytest.mark.parametrize("secret", ["abc123", "a" * 31, "has space " * 4])
def test_a_weak_generated_secret_fails(secret):
    with readings.bound(), pytest.raises(AssertionError, match="WEBHOOK-SECRET-FORMAT"):
        readings.generated_secret(secret, 64, "WEBHOOK-SECRET-FORMAT", "secret")


def test_retry_after_http_date_has_the_whole_second_tolerance():
    """The Date header is whole seconds and may lag the server's clock: an HTTP-date Retry-After of a correct
    60 s delay can read as 61 or 62 s. The tolerance is fixed (2 s), so the check cannot flap."""
    date = email.utils.formatdate(1_760_000_000, usegmt=True)
    for shown_delay in (60, 61, 62):
        later = email.utils.formatdate(1_760_000_000 + shown_delay, usegmt=True)
        response = answer("GET", "/api/v1/channels", 429, {"detail": "slow down"},
                          {"Retry-After": later, "Date": date})
        with readings.bound() as props:
            seconds, tolerance = readings.retry_after(response)
        assert seconds == shown_delay and seconds <= 60 + tolerance
        assert shown(props) == ["RATE-LIMIT-RETRY-AFTER=http-date"]
    with readings.bound():
        assert readings.retry_after(answer("GET", "/api/v1/channels", 429, {"detail": "x"},
                                           {"Retry-After": "17"})) == (17.0, 0.0)


# ------------------------------------------------------------------------------------------- pinning


def test_a_pinned_reading_is_enforced():
    response = answer("POST", "/api/v1/redirects", 200, REDIRECT)
    with readings.bound({"API-CREATE-STATUS": "created-201"}), pytest.raises(AssertionError, match="pinned"):
        readings.created(response, "API-CREATE-STATUS", "POST /redirects")
    with readings.bound({"API-CREATE-STATUS": "ok-200"}):
        readings.created(response, "API-CREATE-STATUS", "POST /redirects")


def test_a_reading_the_register_does_not_list_fails():
    with readings.bound(), pytest.raises(AssertionError, match="readings the docs permit"):
        readings.accepts("API-CREATE-STATUS", "accepted-202")


def test_the_default_profile_pins_only_readings_a_later_profile_added():
    """Every reading the v1 docs permit is accepted under default; the one pin keeps out a reading that exists
    only because of a later change (a WhatsApp sticker relayed as an image, fiwano-2026-10)."""
    assert dict(contract.load_profile("default").get("readings") or {}) == {"RELAY-MEDIA-TYPES-WA": "sticker-type"}


def test_pins_from_option_env_and_file(tmp_path):
    config = SuiteConfig.load({"fiwano_readings": ["ERR-VALIDATION-STATUS=bad-request-400"]}, env={})
    assert config.readings == {"ERR-VALIDATION-STATUS": "bad-request-400"}
    config = SuiteConfig.load({}, env={"FIWANO_READINGS": "REDIRECT-LIST=bare-array,API-CREATE-STATUS=ok-200"})
    assert config.readings == {"REDIRECT-LIST": "bare-array", "API-CREATE-STATUS": "ok-200"}
    file = tmp_path / "fiwano.yaml"
    file.write_text("readings:\n  API-TIMESTAMP-FORMAT: naive-utc\n")
    assert SuiteConfig.load({"fiwano_config": str(file)}, env={}).readings == {"API-TIMESTAMP-FORMAT": "naive-utc"}
    assert readings.run_pins({"readings": {"API-CREATE-STATUS": "ok-200", "ERR-FORMAT": "string-or-object"}},
                             {"API-CREATE-STATUS": "created-201"}) == {"API-CREATE-STATUS": "created-201",
                                                                       "ERR-FORMAT": "string-or-object"}


@pytest.mark.parametrize("value", ["NOPE-ID=x", "ERR-FORMAT=maybe", "ERR-FORMAT"])
def test_a_bad_pin_is_one_clear_configuration_error(value):
    with pytest.raises(ConfigError) as info:
        SuiteConfig.load({"fiwano_readings": [value]}, env={})
    assert "readings" in str(info.value) and "\n" not in str(info.value)
