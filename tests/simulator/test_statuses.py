"""Status webhooks on request: WhatsApp statuses[], Messenger delivery/read watermarks, Instagram read."""

from __future__ import annotations

import json

import pytest

from simulator.client import SimulatorError

from .conftest import bearer


def _send(sim, graph, world, channel, user):
    asset = world.asset(channel)
    sim.emit_inbound_text(world.world_id, asset.asset_id, user, "hi")
    if channel == "whatsapp":
        body = {"messaging_product": "whatsapp", "to": user, "type": "text", "text": {"body": "x"},
                "biz_opaque_callback_data": "ref-42"}
    else:
        body = {"recipient": {"id": user}, "message": {"text": "x"}}
    r = graph.post(f"/v21.0/{asset.asset_id}/messages", headers=bearer(asset.access_token), json=body)
    assert r.status_code == 200
    data = r.json()
    return data["messages"][0]["id"] if channel == "whatsapp" else data["message_id"]


def _last_payload(receiver, world, count):
    return json.loads(receiver.wait_for(world, count)[-1]["raw"])


def test_whatsapp_status_sequence(sim, graph, world, receiver):
    wamid = _send(sim, graph, world, "whatsapp", "4915100000300")
    for index, status in enumerate(["sent", "delivered", "read"], start=2):
        result = sim.emit_status(world.world_id, wamid, status)
        assert result.delivery.status == 200
        value = _last_payload(receiver, world, index)["entry"][0]["changes"][0]["value"]
        (entry,) = value["statuses"]
        assert "contacts" not in value and value["metadata"]["phone_number_id"] == world.asset("whatsapp").asset_id
        assert entry["id"] == wamid and entry["status"] == status and entry["recipient_id"] == "4915100000300"
        assert entry["timestamp"].isdigit() and entry["biz_opaque_callback_data"] == "ref-42"
        if status == "sent":
            assert entry["pricing"]["category"] == "service" and "conversation" in entry
    assert sim.sent_messages(world.world_id)[0].statuses == ["sent", "delivered", "read"]


def test_whatsapp_failed_status_with_errors(sim, graph, world, receiver):
    wamid = _send(sim, graph, world, "whatsapp", "4915100000301")
    sim.emit_status(world.world_id, wamid, "failed", error_code=131026)
    entry = _last_payload(receiver, world, 2)["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert entry["status"] == "failed" and entry["errors"][0]["code"] == 131026
    custom = [{"code": 131049, "title": "Not delivered", "message": "m", "error_data": {"details": "d"}}]
    sim.emit_status(world.world_id, wamid, "failed", errors=custom)
    assert _last_payload(receiver, world, 3)["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] == custom


def test_messenger_delivery_and_read_watermarks(sim, graph, world, receiver):
    mid = _send(sim, graph, world, "facebook", "7400000000000001")
    sim.emit_status(world.world_id, mid, "delivered")
    event = _last_payload(receiver, world, 2)["entry"][0]["messaging"][0]
    assert event["delivery"]["mids"] == [mid] and isinstance(event["delivery"]["watermark"], int)
    assert event["sender"] == {"id": "7400000000000001"}
    sim.emit_status(world.world_id, mid, "read")
    event = _last_payload(receiver, world, 3)["entry"][0]["messaging"][0]
    assert set(event["read"]) == {"watermark"} and isinstance(event["timestamp"], int)
    with pytest.raises(SimulatorError) as info:
        sim.emit_status(world.world_id, mid, "sent")
    assert info.value.status == 400


def test_instagram_read_only(sim, graph, world, receiver):
    mid = _send(sim, graph, world, "instagram", "7400000000000002")
    sim.emit_status(world.world_id, mid, "read")
    payload = _last_payload(receiver, world, 2)
    assert payload["object"] == "instagram"
    assert payload["entry"][0]["messaging"][0]["read"] == {"mid": mid}
    with pytest.raises(SimulatorError) as info:
        sim.emit_status(world.world_id, mid, "delivered")
    assert info.value.status == 400 and "no 'delivered'" in str(info.value.detail)


def test_status_for_unknown_message_is_404(sim, world):
    with pytest.raises(SimulatorError) as info:
        sim.emit_status(world.world_id, "wamid.unknown", "sent")
    assert info.value.status == 404


@pytest.mark.parametrize("channel", ["facebook", "instagram"])
def test_echo(sim, graph, world, receiver, channel):
    mid = _send(sim, graph, world, channel, "7400000000000003")
    sim.emit_status(world.world_id, mid, "echo")
    event = _last_payload(receiver, world, 2)["entry"][0]["messaging"][0]
    asset = world.asset(channel)
    assert event["sender"] == {"id": asset.asset_id} and event["recipient"] == {"id": "7400000000000003"}
    assert event["message"]["is_echo"] is True and event["message"]["mid"] == mid and event["message"]["text"] == "x"


def test_no_whatsapp_echo(sim, graph, world):
    wamid = _send(sim, graph, world, "whatsapp", "4915100000302")
    with pytest.raises(SimulatorError) as info:
        sim.emit_status(world.world_id, wamid, "echo")
    assert info.value.status == 400


def test_list_worlds(sim, world, graph):
    listed = graph.get("/_sim/worlds").json()["worlds"]
    assert {"world_id": world.world_id, "label": "test", "assets": 3} in listed
