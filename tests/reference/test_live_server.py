"""End to end on real sockets: the reference on uvicorn, an HTTPS sink with a kit CA (trustme)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest
import trustme

from reference.app import create_app
from tests.reference.conftest import APP_SECRET, make_settings
from tests.reference.fake_meta import FakeMeta, FakeMetaTransport, sign, wa_text
from tests.reference.servers import RecordingSink, ServerThread


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "kit-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return {"ca": str(ca_file), "cert": str(cert_file), "key": str(key_file)}


def _world(client: httpx.Client, fake: FakeMeta, sink_url: str) -> tuple[dict, dict, dict]:
    account = client.post("/harness/accounts", json={"tier": "pro", "subscription_status": "active"}).json()
    asset = fake.add_whatsapp()
    channel = client.post(f"/harness/accounts/{account['account_id']}/channels",
                          json={"channel_type": "whatsapp", "asset_id": asset["id"], "access_token": asset["token"],
                                "waba_id": asset["waba_id"]}).json()
    hook = client.patch(f"/api/v1/channels/{channel['id']}", headers={"X-API-Key": account["api_key"]},
                        json={"webhook_url": sink_url + "/hooks/live", "webhook_events": ["message.received"]})
    assert hook.status_code == 200, hook.text
    return account, channel, hook.json()


def _post_meta(client: httpx.Client, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post("/meta/webhook", content=body,
                       headers={"X-Hub-Signature-256": sign(body, APP_SECRET), "Content-Type": "application/json"})


def test_relay_over_verified_tls(tmp_path, tls):
    fake = FakeMeta()
    sink = RecordingSink()
    with ServerThread(sink, certfile=tls["cert"], keyfile=tls["key"]) as sink_server:
        settings = make_settings(tmp_path, allow_webhook_hosts=["127.0.0.1"], webhook_ca_file=tls["ca"])
        with ServerThread(create_app(settings, meta_transport=FakeMetaTransport(fake))) as ref, \
                httpx.Client(base_url=ref.url) as client:
            _, channel, hook = _world(client, fake, sink_server.url)
            started = time.monotonic()
            response = _post_meta(client, wa_text("1001", "15551234", "über TLS ✓"))
            assert response.status_code == 200
            assert time.monotonic() - started < 2
            sink.wait_for(1)
            (request,) = sink.requests
            assert request["path"] == "/hooks/live"
            expected = hmac.new(hook["webhook_secret"].encode(), request["body"], hashlib.sha256).hexdigest()
            assert request["headers"]["x-webhook-signature"] == "sha256=" + expected
            assert json.loads(request["body"])["data"]["text"] == "über TLS ✓"


def test_untrusted_certificate_fails_delivery(tmp_path, tls):
    fake = FakeMeta()
    sink = RecordingSink()
    with ServerThread(sink, certfile=tls["cert"], keyfile=tls["key"]) as sink_server:
        settings = make_settings(tmp_path, allow_webhook_hosts=["127.0.0.1"], webhook_ca_file=None)
        app = create_app(settings, meta_transport=FakeMetaTransport(fake))
        with ServerThread(app) as ref, httpx.Client(base_url=ref.url) as client:
            _world(client, fake, sink_server.url)
            assert _post_meta(client, wa_text("1001", "15551234", "x")).status_code == 200
            comps = app.state.components
            deadline = time.monotonic() + 10
            while True:
                deliveries = comps.deliveries.list()
                if deliveries and deliveries[0].attempts >= 1:
                    break
                assert time.monotonic() < deadline
                time.sleep(0.02)
            assert sink.requests == []
            assert deliveries[0].state == "pending"
            assert "CERTIFICATE" in (deliveries[0].last_error or "").upper(), deliveries[0].last_error
