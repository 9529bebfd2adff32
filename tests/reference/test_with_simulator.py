"""The reference against the kit's real simulator (fake Meta), all on real loopback servers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trustme

simulator_app = pytest.importorskip("simulator.app")
from simulator.client import SimulatorClient  # noqa: E402
from simulator.settings import SimulatorSettings  # noqa: E402

from reference.app import create_app  # noqa: E402
from reference.settings import ReferenceSettings  # noqa: E402
from tests.reference.servers import RecordingSink, ServerThread  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    sink = RecordingSink()
    with ServerThread(simulator_app.create_app(SimulatorSettings(app_secret="S3", verify_token="V3"))) as sim, \
            ServerThread(sink, certfile=str(folder / "cert.pem"), keyfile=str(folder / "key.pem")) as sink_server:
        settings = ReferenceSettings(db_path=str(folder / "ref.sqlite3"), meta_graph_url=sim.url,
                                     meta_app_secret="S3", meta_verify_token="V3", meta_app_id="1234567890123456",
                                     test_mode=True, allow_webhook_hosts=["127.0.0.1"],
                                     webhook_ca_file=str(folder / "ca.pem"), public_url="http://placeholder")
        holder: dict = {}

        def app_for(url: str):  # the reference must know its own URL (public_url for download links)
            holder["app"] = create_app(settings.model_copy(update={"public_url": url}))
            return holder["app"]

        with ServerThread(factory=app_for) as ref:
            client = SimulatorClient(sim.url)
            client.configure_app(target_webhook_url=ref.url + "/meta/webhook")
            with httpx.Client(base_url=ref.url, timeout=30) as http:
                yield {"sim": client, "ref": http, "sink": sink, "sink_url": sink_server.url, "app": holder["app"]}


def _account(env, **body):
    return env["ref"].post("/harness/accounts", json=body or {"tier": "pro", "subscription_status": "active",
                                                               "source": "paddle"}).json()


def _connect(env, account, world, channel_type):
    asset = world.asset(channel_type)
    body = {"channel_type": channel_type, "asset_id": asset.asset_id, "access_token": asset.access_token}
    if channel_type == "whatsapp":
        body["waba_id"] = asset.waba_id
    if channel_type == "instagram":
        body["page_id"] = asset.page_id
    response = env["ref"].post(f"/harness/accounts/{account['account_id']}/channels", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _hook(env, account, channel, events, name):
    response = env["ref"].patch(f"/api/v1/channels/{channel['id']}", headers={"X-API-Key": account["api_key"]},
                                json={"webhook_url": f"{env['sink_url']}/hooks/{name}", "webhook_events": events})
    assert response.status_code == 200, response.text
    return response.json()["webhook_secret"]


def _deliveries(env, name, count):
    sink = env["sink"]
    deadline = time.monotonic() + 10
    while True:
        got = [r for r in sink.requests if r["path"] == f"/hooks/{name}"]
        if len(got) >= count or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


@pytest.mark.parametrize("channel_type", ["whatsapp", "instagram", "facebook"])
def test_inbound_text_and_statuses(env, channel_type):
    sim = env["sim"]
    world = sim.create_world([channel_type])
    account = _account(env)
    channel = _connect(env, account, world, channel_type)
    events = ["message.received", "message.delivered", "message.read"]
    if channel_type == "whatsapp":
        events += ["message.sent", "message.failed"]
    secret = _hook(env, account, channel, events, f"st-{channel_type}")
    sender = "15550001111" if channel_type == "whatsapp" else "7630979099381133"
    result = sim.emit_inbound_text(world.world_id, world.asset(channel_type).asset_id, sender, "Hallo 😀",
                                   sender_name="Jane")
    assert result.delivery.status == 200, result.delivery
    (received,) = _deliveries(env, f"st-{channel_type}", 1)
    body = json.loads(received["body"])
    assert received["headers"]["x-webhook-signature"] == "sha256=" + hmac.new(
        secret.encode(), received["body"], hashlib.sha256).hexdigest()
    assert body["data"] == {"message_id": result.message_id, "from": sender,
                            "from_name": "Jane" if channel_type == "whatsapp" else None, "type": "text",
                            "text": "Hallo 😀"}
    sent = env["ref"].post("/api/v1/messages/send", headers={"X-API-Key": account["api_key"]},
                           json={"channel_id": channel["id"], "recipient": sender, "text": "reply"})
    assert sent.status_code == 200 and sent.json()["success"] is True, sent.text
    uuid = sent.json()["message_id"]
    meta_id = env["ref"].get(f"/harness/messages/{uuid}").json()["meta_message_id"]
    statuses = ["delivered", "read"] if channel_type != "instagram" else ["read"]
    for status in statuses:
        emitted = sim.emit_status(world.world_id, meta_id, status)
        assert emitted is not None
    expected = 1 + (len(statuses) if channel_type != "instagram" else 2)
    got = _deliveries(env, f"st-{channel_type}", expected)
    kinds = [json.loads(r["body"])["event"] for r in got[1:]]
    assert "message.read" in kinds and "message.delivered" in kinds, kinds
    for r in got[1:]:
        assert json.loads(r["body"])["data"]["message_id"] == uuid


def test_inbound_media_download(env):
    sim = env["sim"]
    world = sim.create_world(["whatsapp"])
    account = _account(env)
    channel = _connect(env, account, world, "whatsapp")
    _hook(env, account, channel, ["message.received"], "media")
    content = b"\xff\xd8\xff" + b"j" * 2000
    result = sim.emit_inbound(world.world_id, world.asset("whatsapp").asset_id, "15550002222", "image",
                              content=content, media={"mime_type": "image/jpeg"}, caption="pic")
    assert result.delivery.status == 200, result.delivery
    (delivered,) = _deliveries(env, "media", 1)
    data = json.loads(delivered["body"])["data"]
    assert data["type"] == "image" and data["caption"] == "pic", data
    media = data["media"]
    assert media["download_url"], media
    got = env["ref"].get(urlsplit(media["download_url"]).path, headers={"X-API-Key": account["api_key"]})
    assert got.status_code == 200 and got.content == content


def test_templates_and_profile(env):
    sim = env["sim"]
    world = sim.create_world(["whatsapp", "instagram"])
    account = _account(env)
    wa = _connect(env, account, world, "whatsapp")
    ig = _connect(env, account, world, "instagram")
    headers = {"X-API-Key": account["api_key"]}
    created = env["ref"].post(f"/api/v1/channels/{wa['id']}/templates", headers=headers, json={
        "name": "order_confirmation", "category": "UTILITY", "language": "en_US", "components": [
            {"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["Pablo"]]}}]})
    assert created.status_code == 201, created.text
    template = created.json()
    sim.review_template(world.world_id, template["meta_template_id"], "APPROVED")
    listed = env["ref"].get(f"/api/v1/channels/{wa['id']}/templates", headers=headers).json()
    assert [t["status"] for t in listed["templates"]] == ["APPROVED"], listed
    sent = env["ref"].post("/api/v1/messages/send-template", headers=headers, json={
        "channel_id": wa["id"], "template_name": "order_confirmation", "language": "en_US",
        "recipient": "15550003333", "variables": {"body": ["Pablo"]}})
    assert sent.status_code == 200 and sent.json()["success"] is True, sent.text
    sim.set_profile(world.world_id, "7630979099380001", world.asset("instagram").asset_id, username="johndoe",
                    name="John Doe")
    profile = env["ref"].get(f"/api/v1/channels/{ig['id']}/profile/7630979099380001", headers=headers)
    assert profile.status_code == 200, profile.text
    assert profile.json()["profile"]["username"] == "johndoe" and profile.json()["cached"] is False


@pytest.mark.parametrize("channel_type", ["whatsapp", "facebook", "instagram"])
def test_oauth_connect_flow(env, channel_type):
    sim = env["sim"]
    world = sim.create_world([channel_type])
    account = _account(env)
    headers = {"X-API-Key": account["api_key"]}
    env["ref"].post("/api/v1/redirects", headers=headers, json={"uri_pattern": "https://app.example.com/cb"})
    setup = env["ref"].post("/api/v1/channels/setup-url", headers=headers,
                            json={"channel_type": channel_type, "redirect_uri": "https://app.example.com/cb"}).json()
    start = env["ref"].get(urlsplit(setup["setup_url"]).path, params={"session": setup["session_id"]})
    assert start.status_code == 302, start.text
    approved = sim.oauth_authorize(world.world_id, url=start.headers["location"])
    back = env["ref"].get(approved["redirect_url"].replace(urlsplit(approved["redirect_url"]).netloc,
                                                           urlsplit(str(env["ref"].base_url)).netloc))
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert location.startswith("https://app.example.com/cb?code="), location
    code = parse_qs(urlsplit(location).query)["code"][0]
    exchanged = env["ref"].post("/api/v1/channels/exchange-code", headers=headers, json={"code": code})
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["channel_type"] == channel_type
    assert exchanged.json()["channel_id"]


@pytest.mark.parametrize("channel_type", ["facebook", "instagram", "whatsapp"])
def test_never_expiring_asset_token_survives_the_refresh(env, channel_type):
    """Page/system-user tokens cannot be exchanged with fb_exchange_token (the simulator refuses, as Meta does)
    but never expire (debug_token expires_at 0): the refresh must keep the channel active, not deactivate it."""
    sim = env["sim"]
    world = sim.create_world([channel_type])
    account = _account(env)
    channel = _connect(env, account, world, channel_type)
    headers = {"X-API-Key": account["api_key"]}
    first = channel["token_expires_at"]
    assert env["ref"].post("/harness/clock/advance", json={"seconds": 53 * 86400 + 600}).status_code == 200
    after = env["ref"].get(f"/api/v1/channels/{channel['id']}", headers=headers).json()
    assert after["is_active"] is True, after
    assert after["token_expires_at"] > first
