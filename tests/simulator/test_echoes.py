"""Echoes of messages the business sent outside the target (simulator/echoes.py): Meta's shapes per channel,
statuses of the echoed message on request, and not listed among what Meta accepted from the target."""

from __future__ import annotations

import json

import pytest

from simulator.echoes import PAGE_INBOX_APP_ID


def _last_payload(receiver, world, count):
    return json.loads(receiver.wait_for(world, count)[-1]["raw"])


def test_whatsapp_echo_is_an_smb_message_echo(sim, world, receiver):
    asset = world.asset("whatsapp")
    result = sim.emit_echo(world.world_id, asset.asset_id, "4915100000400", "sent from the Business app")
    assert result.delivery.status == 200
    change = _last_payload(receiver, world, 1)["entry"][0]["changes"][0]
    assert change["field"] == "smb_message_echoes"
    (echo,) = change["value"]["message_echoes"]
    assert echo["from"] == asset.display_phone_number and echo["to"] == "4915100000400"
    assert echo["id"] == result.message_id and echo["type"] == "text"
    assert echo["text"] == {"body": "sent from the Business app"} and echo["timestamp"].isdigit()
    assert sim.sent_messages(world.world_id) == []
    sim.emit_status(world.world_id, result.message_id, "delivered")
    status = _last_payload(receiver, world, 2)["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert status["id"] == result.message_id and status["status"] == "delivered"


@pytest.mark.parametrize("channel", ["facebook", "instagram"])
def test_page_echo_comes_from_the_business_with_is_echo(sim, world, receiver, channel):
    asset = world.asset(channel)
    result = sim.emit_echo(world.world_id, asset.asset_id, "7400000000000401", "written in the inbox")
    event = _last_payload(receiver, world, 1)["entry"][0]["messaging"][0]
    assert event["sender"] == {"id": asset.asset_id} and event["recipient"] == {"id": "7400000000000401"}
    message = event["message"]
    assert message["is_echo"] is True and message["mid"] == result.message_id
    assert message["text"] == "written in the inbox"
    assert message.get("app_id") == (PAGE_INBOX_APP_ID if channel == "facebook" else None)
    assert sim.sent_messages(world.world_id) == []
