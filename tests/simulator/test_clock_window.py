"""Virtual clock and the 24-hour customer service window (no sleeping: the clock is moved)."""

from __future__ import annotations

import json

import pytest

from simulator.client import SimulatorError

from .conftest import bearer

DAY = 86400


def test_world_clock_moves_alone_global_clock_moves_all(sim, world):
    other = sim.create_world(["facebook"])
    try:
        t0 = sim.clock(world.world_id).now
        moved = sim.advance_clock(3600, world_id=world.world_id)
        assert moved.now >= t0 + 3600 and moved.offset_seconds >= 3600
        assert sim.clock(other.world_id).now < t0 + 60
        target = moved.now + 7200
        assert sim.set_clock(target, world_id=world.world_id).now == pytest.approx(target, abs=1)
        iso = sim.set_clock("2099-01-01T00:00:00Z", world_id=other.world_id)
        assert iso.iso.startswith("2099-01-01T00:00")
        with pytest.raises(SimulatorError) as info:
            sim.set_clock("2020-01-01T00:00:00Z", world_id=other.world_id)
        assert info.value.status == 400
        with pytest.raises(SimulatorError):
            sim.advance_clock(-5, world_id=world.world_id)
    finally:
        sim.delete_world(other.world_id)


def test_global_clock_endpoint(sim):
    state = sim.clock()
    assert state.iso.endswith("Z") and state.now > 1.7e9
    # advancing by 0 is allowed and harmless for parallel tests
    assert sim.advance_clock(0).now >= state.now


def test_journal_and_webhooks_use_virtual_time(sim, graph, world, receiver):
    wa = world.asset("whatsapp")
    sim.advance_clock(10 * DAY, world_id=world.world_id)
    graph.get(f"/v21.0/{wa.phone_number_id}", headers=bearer(wa.access_token))
    (entry,) = sim.journal(world.world_id)
    assert entry.virtual_time - entry.real_time > 10 * DAY - 5
    sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000009", "x")
    (request,) = receiver.for_world(world)
    ts = int(json.loads(request["raw"])["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    assert ts > entry.real_time + 10 * DAY - 5


def _wa_send(graph, wa, to):
    return graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                      json={"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "hi"}})


def test_whatsapp_window_async_131047(sim, graph, world, receiver):
    wa = world.asset("whatsapp")
    sim.emit_inbound_text(world.world_id, wa.asset_id, "4915100000010", "hello")
    assert _wa_send(graph, wa, "4915100000010").status_code == 200     # inside the window
    sim.advance_clock(DAY + 1, world_id=world.world_id)
    r = _wa_send(graph, wa, "4915100000010")                              # outside: accepted, then failed
    assert r.status_code == 200
    wamid = r.json()["messages"][0]["id"]
    requests = receiver.wait_for(world, 2)
    status = json.loads(requests[-1]["raw"])["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert status["id"] == wamid and status["status"] == "failed" and status["recipient_id"] == "4915100000010"
    assert status["errors"][0]["code"] == 131047
    assert set(status["errors"][0]) == {"code", "title", "message", "error_data", "href"}


def test_whatsapp_window_sync_mode(sim, graph):
    w = sim.create_world(["whatsapp"], whatsapp_window_error="sync")
    try:
        r = _wa_send(graph, w.asset("whatsapp"), "4915100000011")
        assert r.status_code == 400 and r.json()["error"]["code"] == 131047
        assert r.json()["error"]["error_data"]["details"].startswith("Message failed to send because more than 24")
    finally:
        sim.delete_world(w.world_id)


@pytest.mark.parametrize("channel,subcode", [("facebook", 2018278), ("instagram", 2534022)])
def test_messaging_window(sim, graph, world, channel, subcode):
    asset = world.asset(channel)
    body = {"recipient": {"id": "7200000000000001"}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
    send = lambda: graph.post(f"/v21.0/{asset.asset_id}/messages", headers=bearer(asset.access_token), json=body)  # noqa: E731
    r = send()                                                   # never messaged: outside any window
    assert r.status_code == 400 and r.json()["error"]["code"] == 10 and r.json()["error"]["error_subcode"] == subcode
    sim.emit_inbound_text(world.world_id, asset.asset_id, "7200000000000001", "hi")
    assert send().status_code == 200
    sim.advance_clock(DAY - 10, world_id=world.world_id)
    assert send().status_code == 200
    sim.advance_clock(20, world_id=world.world_id)
    r = send()
    assert r.status_code == 400 and r.json()["error"]["error_subcode"] == subcode


def test_human_agent_tag_extends_messenger_window(sim, graph, world):
    fb = world.asset("facebook")
    sim.emit_inbound_text(world.world_id, fb.asset_id, "7200000000000002", "hi")
    sim.advance_clock(3 * DAY, world_id=world.world_id)
    r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(fb.access_token),
                   json={"recipient": {"id": "7200000000000002"}, "messaging_type": "MESSAGE_TAG",
                         "tag": "HUMAN_AGENT", "message": {"text": "x"}})
    assert r.status_code == 200


def test_window_can_be_switched_off(sim, graph, world):
    sim.set_options(world.world_id, enforce_window=False)
    fb = world.asset("facebook")
    r = graph.post(f"/v21.0/{fb.page_id}/messages", headers=bearer(fb.access_token),
                   json={"recipient": {"id": "7200000000000003"}, "message": {"text": "x"}})
    assert r.status_code == 200
