from __future__ import annotations

import asyncio

import httpx
import pytest

from reference.crypto import MetaSignatureVerifier, WebhookSigner
from reference.db import Database
from reference.limits import TextLimitChecker
from reference.relay import RelaySender
from reference.urls import UnsafeURL, check_https_url

UNSAFE = [
    "http://example.com/a.jpg", "javascript:alert(1)", "https:///a", "//example.com/a", "https://user@example.com/a",
    "https://:pass@example.com/a", "https://user%40x:p@example.com/a", "https://127.0.0.1/a", "https://127.1/a",
    "https://2130706433/a", "https://0x7f000001/a", "https://0177.0.0.1/a", "https://017700000001/a",
    "https://[::1]/a", "https://[::]/a", "https://0.0.0.0/a", "https://10.1.2.3/a", "https://172.16.0.1/a",
    "https://192.168.0.1/a", "https://169.254.169.254/a", "https://[fe80::1]/a", "https://[fc00::1]/a",
    "https://[::ffff:10.0.0.1]/a", "https://[::ffff:7f00:1]/a", "https://[2002:7f00:1::]/a",
    "https://[64:ff9b::a00:1]/a", "https://100.64.0.1/a", "https://198.18.0.1/a", "https://224.0.0.1/a",
    "https://240.0.0.1/a", "https://255.255.255.255/a", "https://localhost/a", "https://localhost./a",
    "https://foo.localhost/a", "https://metadata.google.internal/a", "https://example.com\\@evil.com/a",
    "https://exa mple.com/a", "https://example.com\t/a", "https://ｅxample.com/a", "https://example。com/a",
    "https://%31%32%37.0.0.1/a", "https://example.com./a", "https://[::1%25eth0]/a", "https://1.2.3/a",
]
SAFE = [
    "https://my-bucket.s3.amazonaws.com/photo.jpg?X-Amz-Signature=abc&X-Amz-Expires=600",
    "https://1.1.1.1/a", "https://172.15.255.255/a", "https://172.32.0.1/a", "https://100.128.0.1/a",
    "https://example.com:8443/a#frag", "https://[2606:4700:4700::1111]/a",
]


@pytest.mark.parametrize("url", UNSAFE)
def test_unsafe_urls(url):
    with pytest.raises(UnsafeURL):
        check_https_url(url, max_length=2048)


@pytest.mark.parametrize("url", SAFE)
def test_safe_urls(url):
    assert check_https_url(url, max_length=2048) == url


def test_url_length_and_allow_list():
    assert check_https_url("https://example.com/" + "a" * 2028, max_length=2048)
    with pytest.raises(UnsafeURL):
        check_https_url("https://example.com/" + "a" * 2029, max_length=2048)
    assert check_https_url("https://127.0.0.1:9443/x", allow_hosts=frozenset({"127.0.0.1"}))


def test_signer_and_verifier():
    assert WebhookSigner().sign(b"{}", "k") == \
        "sha256=" + "c4d9c4bfde3b7af9fe2d7e1bb9c1c0b4" [:0] + __import__("hmac").new(b"k", b"{}", "sha256").hexdigest()
    verifier = MetaSignatureVerifier("s")
    good = WebhookSigner().sign(b"body", "s")
    assert verifier.verify(b"body", good)
    assert verifier.verify(b"body", good.upper().replace("SHA256=", "sha256="))
    assert not verifier.verify(b"body ", good)
    assert not verifier.verify(b"body", None)
    assert not MetaSignatureVerifier("").verify(b"body", WebhookSigner().sign(b"body", ""))


def test_text_limit_checker():
    checker = TextLimitChecker({"whatsapp": 3})
    assert checker.check("whatsapp", "abc") is None
    assert checker.check("whatsapp", "abcd")["actual_length"] == 4
    assert checker.check("whatsapp", "e\u0301e\u0301") is not None  # 4 code points


def test_db_wal_file(tmp_path):
    db = Database(tmp_path / "sub" / "x.sqlite3")
    assert db.journal_mode() == "wal"
    assert (tmp_path / "sub" / "x.sqlite3").exists()
    db.close()


def test_relay_sender_timeout_counts_as_failure():
    async def slow(request):
        await asyncio.sleep(1)
        return httpx.Response(200)

    async def run():
        sender = RelaySender(timeout_seconds=0.1, ca_file=None, allow_hosts=frozenset({"sink.test"}),
                             transport=httpx.MockTransport(slow))
        try:
            return await sender.send("https://sink.test/x", b"{}", "s", "message.received", "d1")
        finally:
            await sender.aclose()

    outcome = asyncio.run(run())
    assert not outcome.ok and "0.1" in outcome.error


def test_relay_sender_refuses_private_resolution():
    async def never(request):
        raise AssertionError("must not connect")

    async def run():
        sender = RelaySender(timeout_seconds=1, ca_file=None, allow_hosts=frozenset(),
                             transport=httpx.MockTransport(never))
        try:
            return await sender.send("https://localhost/x", b"{}", "s", "message.received", "d1")
        finally:
            await sender.aclose()

    assert not asyncio.run(run()).ok


def test_components_can_be_replaced_from_outside(tmp_path):
    """Mutants wrap components from outside; the app uses what is on app.state.components."""
    from fastapi.testclient import TestClient

    from reference.app import build_components, create_app
    from tests.reference.conftest import make_settings
    from tests.reference.fake_meta import FakeMeta, FakeMetaTransport

    fake = FakeMeta()
    settings = make_settings(tmp_path)
    comps = build_components(settings, meta_transport=FakeMetaTransport(fake))
    comps.text_limits = TextLimitChecker({"whatsapp": 4095, "facebook": 1999, "instagram": 999})
    with TestClient(create_app(settings, components=comps)) as client:
        account = client.post("/harness/accounts", json={}).json()
        asset = fake.add_facebook()
        channel = client.post(f"/harness/accounts/{account['account_id']}/channels",
                              json={"channel_type": "facebook", "asset_id": asset["id"],
                                    "access_token": asset["token"]}).json()
        response = client.post("/api/v1/messages/send", headers={"X-API-Key": account["api_key"]},
                               json={"channel_id": channel["id"], "recipient": "1", "text": "a" * 2000})
        assert response.status_code == 400
