"""Unit tests of redaction, evidence records, the recording clients and the assertion helpers."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest

from suites import expect
from suites.clients import FiwanoClient, HarnessClient, HarnessError
from suites.evidence import Evidence, render_journal
from suites.redact import MASK, redact, redact_headers, register_secret


def test_api_keys_are_redacted_by_pattern():
    text = 'X-API-Key: mip_live_AbC123_xyz and {"api_key":"mip_live_Zz9"}'

    assert redact(text) == f'X-API-Key: mip_live_{MASK} and {{"api_key":"mip_live_{MASK}"}}'


def test_registered_secrets_and_secret_parameters_are_redacted():
    register_secret("wh-secret-0123456789")
    register_secret("abc")  # too short to register: would mask ordinary words

    text = redact('secret wh-secret-0123456789, ?access_token=EAAG123&x=1 "webhook_secret": "zzz" abc')

    assert "wh-secret-0123456789" not in text
    assert "EAAG123" not in text and "zzz" not in text
    assert text.endswith("abc")
    # a boolean flag whose name contains a secret's name is evidence, not a secret
    assert redact('"has_webhook_secret":true') == '"has_webhook_secret":true'


def test_redact_headers_masks_keys_but_keeps_signatures():
    headers = redact_headers([("X-API-Key", "mip_live_secret"), ("Authorization", "Bearer EAAtoken"),
                              ("X-Webhook-Signature", "sha256=" + "a" * 64), ("Content-Type", "application/json")])

    assert headers == {"X-API-Key": f"mip_live_{MASK}", "Authorization": MASK,
                       "X-Webhook-Signature": "sha256=" + "a" * 64, "Content-Type": "application/json"}


def _mock_client(handler, cls=FiwanoClient, **kw):
    client = cls("https://target.example/", **kw)
    client._http = httpx.Client(base_url=client.base_url, transport=httpx.MockTransport(handler))
    return client


def test_fiwano_client_sends_the_key_and_records_redacted_evidence():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"detail": "Invalid API key"})

    evidence = Evidence("t")
    client = _mock_client(handler, api_key="mip_live_topsecret", evidence=evidence)

    client.list_channels()
    client.request("GET", "/channels", api_key=None)
    client.send_text("c1", "155", "hi", api_key="")

    assert [r.headers.get("x-api-key") for r in seen] == ["mip_live_topsecret", None, ""]
    assert [r.url.path for r in seen] == ["/api/v1/channels", "/api/v1/channels", "/api/v1/messages/send"]
    north = evidence.north()
    assert "topsecret" not in north
    assert "> GET https://target.example/api/v1/channels  [x-api-key: mip_live_<redacted>]" in north
    assert '< 401' in north and "Invalid API key" in north
    assert '{"channel_id":"c1","recipient":"155","text":"hi"}' in north


def test_transport_errors_are_recorded_too():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    evidence = Evidence("t")
    client = _mock_client(handler, api_key=None, evidence=evidence)

    with pytest.raises(httpx.ConnectError):
        client.list_channels()

    assert "transport error: ConnectError('refused')" in evidence.north()


def test_harness_client_raises_a_harness_error_on_unexpected_answers():
    client = _mock_client(lambda r: httpx.Response(500, text="boom"), cls=HarnessClient)

    with pytest.raises(HarnessError, match="harness create account: expected HTTP 200/201, got 500 boom"):
        client.create_account()


def test_evidence_sections_are_lazy_redacted_and_skip_empty_sides():
    evidence = Evidence("t")
    evidence.add_south("world w1", lambda: render_journal([{"seq": 1, "method": "POST", "path": "/v21.0/1/messages",
                                                             "status": 200, "json": {"to": "1"},
                                                             "response": {"access_token": "EAAsecret"}}]))
    evidence.add_east("sink", lambda: (_ for _ in ()).throw(RuntimeError("sink gone")))

    sections = dict(evidence.sections())

    assert list(sections) == ["fiwano evidence: south (simulator journal: calls the target made to Meta)",
                              "fiwano evidence: east (requests that reached the sink)"]
    south = sections["fiwano evidence: south (simulator journal: calls the target made to Meta)"]
    assert "#1 POST /v21.0/1/messages -> 200" in south and "EAAsecret" not in south
    assert "could not read: RuntimeError('sink gone')" in sections["fiwano evidence: east (requests that reached the sink)"]


def test_expect_messages_name_requirement_expected_and_seen():
    response = httpx.Response(404, json={"detail": "Channel not found"},
                              request=httpx.Request("GET", "https://t.example/api/v1/channels/x"))

    with pytest.raises(AssertionError) as info:
        expect.status(response, 401, "AUTH-KEY-REQUIRED", "request without X-API-Key")

    assert str(info.value) == ('[AUTH-KEY-REQUIRED] request without X-API-Key (GET /api/v1/channels/x): '
                               'expected HTTP 401; saw HTTP 404 {"detail":"Channel not found"}')
    assert expect.error_detail(response, "AUTH-401-BODY", "body") == "Channel not found"
    with pytest.raises(AssertionError, match=r"\[AUTH-401-BODY\] body: expected .*non-empty string"):
        expect.error_detail(httpx.Response(401, json={"detail": ""}), "AUTH-401-BODY", "body")


def test_webhook_signature_is_lower_hex_hmac_of_raw_bytes():
    body = b'{"text":"\\u00e9"}'

    signature = expect.webhook_signature("s3cret", body)

    assert signature == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert expect.SIGNATURE_FORMAT.match(signature)
    assert not expect.SIGNATURE_FORMAT.match(signature.upper())
