"""Scripted faults on a real server: HTTP errors, timeouts, resets, garbage bodies, lost replies, dice."""

from __future__ import annotations

import time

import httpx
import pytest

from simulator.client import SimulatorError

from .conftest import bearer


def _send(graph, wa, to="4915100000100", timeout=None):
    kwargs = {"timeout": timeout} if timeout else {}
    return graph.post(f"/v21.0/{wa.phone_number_id}/messages", headers=bearer(wa.access_token),
                      json={"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "x"}},
                      **kwargs)


def test_one_shot_then_success_and_journal_note(sim, graph, world):
    wa = world.asset("whatsapp")
    rules = sim.add_faults(world.world_id, [{"match": {"channel": "whatsapp"},
                                             "action": {"kind": "http_error", "code": 131016}}])
    assert rules[0]["remaining"] == 1
    r = _send(graph, wa)
    assert r.status_code == 503 and r.json()["error"]["code"] == 131016
    assert _send(graph, wa).status_code == 200
    first, second = sim.journal(world.world_id, method="POST")
    assert first.fault == {"rule_id": rules[0]["rule_id"], "kind": "http_error"} and first.status == 503
    assert second.fault is None
    assert sim.faults(world.world_id)[0]["fired"] == 1
    assert len(sim.sent_messages(world.world_id)) == 1   # the failed attempt never reached "Meta"


def test_times_n_and_repeating(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [{"action": {"kind": "http_error", "code": 2, "status": 500}, "times": 2}])
    assert [_send(graph, wa).status_code for _ in range(3)] == [500, 500, 200]
    sim.add_faults(world.world_id, [{"action": {"kind": "http_error", "code": 4}, "times": None}], replace=True)
    codes = [_send(graph, wa).status_code for _ in range(4)]
    assert codes == [429] * 4
    sim.clear_faults(world.world_id)
    assert _send(graph, wa).status_code == 200


def test_matching_by_recipient_path_and_channel(sim, graph, world):
    wa, fb = world.asset("whatsapp"), world.asset("facebook")
    sim.add_faults(world.world_id, [
        {"match": {"recipient": "+4915100000999"}, "action": {"kind": "http_error", "code": 131056}, "times": None},
        {"match": {"path_contains": "/subscribed_apps"}, "action": {"kind": "http_error", "code": 200}},
        {"match": {"channel": "facebook"}, "action": {"kind": "http_error", "code": 613}},
    ])
    assert _send(graph, wa, to="4915100000999").json()["error"]["code"] == 131056
    assert _send(graph, wa, to="4915100000998").status_code == 200
    assert graph.post(f"/v21.0/{wa.waba_id}/subscribed_apps",
                      headers=bearer(wa.access_token)).json()["error"]["code"] == 200
    r = graph.get(f"/v21.0/{fb.page_id}", headers=bearer(fb.access_token))
    assert r.status_code == 400 and r.json()["error"]["code"] == 613


def test_http_error_details_retry_after_and_html(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [
        {"action": {"kind": "http_error", "status": 429, "code": 130429, "subcode": 2494055, "message": "(#130429) Rate limit hit",
                    "details": "Cloud API message throughput has been reached.", "retry_after": "3",
                    "is_transient": True}},
        {"action": {"kind": "http_error", "status": 502, "html": True}},
    ])
    r = _send(graph, wa)
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    error = r.json()["error"]
    assert error["code"] == 130429 and error["error_subcode"] == 2494055 and error["is_transient"] is True
    assert error["error_data"] == {"messaging_product": "whatsapp",
                                   "details": "Cloud API message throughput has been reached."}
    r = _send(graph, wa)
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")


def test_timeout_reset_and_lost_reply(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [{"action": {"kind": "timeout", "seconds": 2}},
                                    {"action": {"kind": "reset"}},
                                    {"action": {"kind": "accepted_reply_lost"}}])
    with pytest.raises(httpx.ReadTimeout):
        _send(graph, wa, timeout=0.3)
    with pytest.raises(httpx.RemoteProtocolError):
        _send(graph, wa)
    with pytest.raises(httpx.RemoteProtocolError):
        _send(graph, wa, to="4915100000777")
    sent = sim.sent_messages(world.world_id)
    assert [m.recipient for m in sent] == ["4915100000777"]  # only the lost reply was accepted upstream
    notes = [e.fault["kind"] for e in sim.journal(world.world_id, method="POST")]
    assert notes == ["timeout", "reset", "accepted_reply_lost"]


def test_malformed_body_processed_or_not(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [{"action": {"kind": "malformed_body"}},
                                    {"action": {"kind": "malformed_body", "processed": True}}])
    for _ in range(2):
        r = _send(graph, wa)
        assert r.status_code == 200
        with pytest.raises(ValueError):
            r.json()
    assert len(sim.sent_messages(world.world_id)) == 1


def test_slow(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [{"action": {"kind": "slow", "seconds": 0.3}}])
    started = time.monotonic()
    assert _send(graph, wa).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_seeded_random_faults_are_reproducible(sim, graph):
    outcomes = []
    for _ in range(2):
        w = sim.create_world(["whatsapp"], enforce_window=False)
        try:
            sim.add_faults(w.world_id, [{"action": {"kind": "http_error", "code": 1}, "times": None,
                                         "probability": 0.5}], seed=1234)
            outcomes.append([_send(graph, w.asset("whatsapp")).status_code for _ in range(20)])
        finally:
            sim.delete_world(w.world_id)
    assert outcomes[0] == outcomes[1]
    assert 200 in outcomes[0] and 500 in outcomes[0]


@pytest.mark.parametrize("rule", [
    {"action": {"kind": "explode"}},
    {"action": {"kind": "http_error", "status": 200}},
    {"action": {"kind": "timeout", "seconds": -1}},
    {"action": {"kind": "http_error"}, "times": 0},
    {"action": {"kind": "http_error"}, "probability": 2},
    {"match": {"channel": "sms"}, "action": {"kind": "reset"}},
    {"action": {"kind": "reset"}, "bogus": 1},
])
def test_bad_fault_rules_are_rejected(sim, world, rule):
    with pytest.raises(SimulatorError) as info:
        sim.add_faults(world.world_id, [rule])
    assert info.value.status == 422


def test_fault_texts_are_header_safe(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [{"action": {"kind": "http_error", "code": 190, "message": "Jeton \"périmé\" ✗"}}])
    r = _send(graph, wa)
    assert r.status_code == 401 and r.json()["error"]["message"] == "Jeton \"périmé\" ✗"
    with pytest.raises(SimulatorError):
        sim.add_faults(world.world_id, [{"action": {"kind": "http_error", "retry_after": "drei ✗"}}])


def test_drip(sim, graph, world):
    wa = world.asset("whatsapp")
    sim.add_faults(world.world_id, [{"action": {"kind": "drip", "chunk_bytes": 64, "interval_seconds": 0.05}}])
    started = time.monotonic()
    r = _send(graph, wa)
    assert r.status_code == 200 and r.json()["messages"][0]["id"].startswith("wamid.")
    assert time.monotonic() - started >= 0.05 * (len(r.content) // 64)
