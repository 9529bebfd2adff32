"""Inbound webhooks: Meta's payload per channel, ASCII-escaped bytes, signature over the exact bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from simulator import webhooks

from .conftest import APP_SECRET


def _verify(raw: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_github_reference_vector():
    # GitHub's published vector: the same HMAC construction Meta uses.
    assert webhooks.signature_256(b"Hello, World!", "It's a Secret to Everybody") == \
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_whatsapp_inbound_text(sim, world, receiver):
    wa = world.asset("whatsapp")
    result = sim.emit_inbound_text(world.world_id, wa.asset_id, "+4915112345678", "Grüße 👋 \"quoted\" </tag>",
                                   sender_name="Jürgen Müller")
    assert result.delivery.status == 200 and result.delivery.body == "EVENT_RECEIVED"
    assert result.delivery.url == receiver.url and result.delivery.error is None
    assert result.message_id.startswith("wamid.")
    (request,) = receiver.for_world(world)
    raw = request["raw"]
    assert raw.isascii()                                   # non-ASCII is \u-escaped, like Meta
    assert b"\\u00fc" in raw and b"\\ud83d\\udc4b" in raw  # lowercase hex, UTF-16 surrogates for emoji
    assert _verify(raw, request["headers"]["x-hub-signature-256"])
    assert request["headers"]["content-type"] == "application/json"
    payload = json.loads(raw)
    assert payload["object"] == "whatsapp_business_account"
    (entry,) = payload["entry"]
    assert entry["id"] == wa.waba_id
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": wa.display_phone_number, "phone_number_id": wa.asset_id}
    assert value["contacts"] == [{"profile": {"name": "Jürgen Müller"}, "wa_id": "4915112345678"}]
    (message,) = value["messages"]
    assert message["from"] == "4915112345678" and message["id"] == result.message_id
    assert message["type"] == "text" and message["text"] == {"body": "Grüße 👋 \"quoted\" </tag>"}
    assert message["timestamp"].isdigit()


@pytest.mark.parametrize("channel,obj", [("facebook", "page"), ("instagram", "instagram")])
def test_messaging_inbound_text(sim, world, receiver, channel, obj):
    asset = world.asset(channel)
    result = sim.emit_inbound_text(world.world_id, asset.asset_id, "7100000000000001", "ça va?", sender_name="A B")
    assert result.delivery.status == 200
    (request,) = receiver.for_world(world)
    assert _verify(request["raw"], request["headers"]["x-hub-signature-256"])
    payload = json.loads(request["raw"])
    assert payload["object"] == obj
    (entry,) = payload["entry"]
    assert entry["id"] == asset.asset_id and isinstance(entry["time"], int)
    (event,) = entry["messaging"]
    assert event["sender"] == {"id": "7100000000000001"} and event["recipient"] == {"id": asset.asset_id}
    assert isinstance(event["timestamp"], int) and event["timestamp"] > 10**12  # milliseconds
    assert event["message"] == {"mid": result.message_id, "text": "ça va?"}


def test_signature_modes_and_duplicates(sim, world, receiver):
    fb = world.asset("facebook")
    sim.emit_inbound(world.world_id, fb.asset_id, "7100000000000002", "text", text="a", signature="wrong")
    sim.emit_inbound(world.world_id, fb.asset_id, "7100000000000002", "text", text="b", signature="missing")
    sim.emit_inbound(world.world_id, fb.asset_id, "7100000000000002", "text", text="c", copies=2)
    wrong, missing, dup1, dup2 = receiver.for_world(world)
    assert not _verify(wrong["raw"], wrong["headers"]["x-hub-signature-256"])
    assert "x-hub-signature-256" not in missing["headers"]
    assert dup1["raw"] == dup2["raw"] and _verify(dup1["raw"], dup1["headers"]["x-hub-signature-256"])


def test_delivery_result_reports_target_status_and_transport_errors(sim, world, receiver):
    wa = world.asset("whatsapp")
    receiver.status = 500
    try:
        result = sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000002", "x")
        assert result.delivery.status == 500 and not result.delivery.ok
    finally:
        receiver.status = 200
    before = sim.get_app()["target_webhook_url"]
    try:
        sim.configure_app(target_webhook_url="http://127.0.0.1:1/closed")
        result = sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000002", "x")
        assert result.delivery.status is None and "Connect" in result.delivery.error
        sim.configure_app(target_webhook_url="not a url")
        result = sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000002", "x")
        assert result.delivery.status is None and result.delivery.error
    finally:
        sim.configure_app(target_webhook_url=before)
    deliveries = sim.deliveries(world.world_id)
    assert [d["status"] for d in deliveries] == [500, None, None]


def test_raw_webhook(sim, world, receiver):
    wa = world.asset("whatsapp")
    payload = {"object": "whatsapp_business_account", "entry": [{"id": wa.waba_id, "changes": []}]}
    delivery = sim.emit_raw_webhook(world.world_id, payload)
    assert delivery.status == 200
    (request,) = receiver.for_world(world)
    assert request["raw"] == webhooks.serialize(payload)
    assert _verify(request["raw"], request["headers"]["x-hub-signature-256"])


def test_verification_handshake(sim, receiver):
    ok = sim.verify_webhook()
    assert ok["verified"] and ok["status"] == 200 and ok["body"] == ok["challenge"]
    bad = sim.verify_webhook(verify_token="wrong")
    assert not bad["verified"] and bad["status"] == 403
    down = sim.verify_webhook(url="http://127.0.0.1:1/x")
    assert not down["verified"] and down["error"]


def test_retries_after_failed_delivery(sim, world, receiver):
    sim.set_options(world.world_id, webhook_retry_delays=[0.05, 0.05])
    wa = world.asset("whatsapp")
    receiver.status = 503
    try:
        result = sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000011", "retry me")
        assert result.delivery.status == 503
        requests = receiver.wait_for(world, 3)
    finally:
        receiver.status = 200
    assert len(requests) == 3 and len({r["raw"] for r in requests}) == 1     # the same bytes each time
    deadline = time.monotonic() + 5           # the receiver may see the 3rd POST before the sender logs it
    while len(deliveries := sim.deliveries(world.world_id)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
