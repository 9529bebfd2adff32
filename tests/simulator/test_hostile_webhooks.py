"""The control call that emits hostile but signed Meta webhooks (simulator/hostile.py): one batch of two good
text messages around one hostile entry, signed over the exact bytes sent, for every channel and kind."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from simulator.hostile import HOSTILE_KINDS

from .conftest import APP_SECRET


def _raw_and_payload(receiver, world):
    request = receiver.wait_for(world, 1)[-1]
    raw = request["raw"]
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert request["headers"]["x-hub-signature-256"] == expected
    return raw, json.loads(raw)  # Python's parser reads NaN / Infinity / lone surrogates


def _items(payload):
    entry = payload["entry"][0]
    return entry["changes"][0]["value"]["messages"] if "changes" in entry else entry["messaging"]


@pytest.mark.parametrize("channel", ["whatsapp", "facebook", "instagram"])
@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_hostile_batch_is_signed_and_keeps_its_good_messages(sim, world, receiver, channel, kind):
    asset = world.asset(channel)
    sender = "4915100000077" if channel == "whatsapp" else "7100000000000077"
    result = sim.emit_hostile_webhook(world.world_id, asset.asset_id, sender, kind, size_bytes=300_000)
    assert result.delivery.status == 200
    raw, payload = _raw_and_payload(receiver, world)
    assert len(raw) == result.payload_bytes
    items = _items(payload)
    assert len(items) == 3
    ids = [(i.get("id") or i["message"]["mid"]) for i in items]
    assert ids[0] == result.good_message_ids[0] and ids[2] == result.good_message_ids[1]
    if kind == "duplicate_entries":
        assert ids[1] == ids[0] and result.hostile_message_id is None
    else:
        assert ids[1] == result.hostile_message_id
    if kind == "nan_timestamp":
        assert b"NaN" in raw
    if kind == "lone_surrogate":
        assert b"\\ud800" in raw
    if kind == "oversized":
        assert len(raw) > 300_000
    # the delivery log carries a summary, never the hostile bytes
    (logged,) = [d for d in sim.deliveries(world.world_id)][-1:]
    assert logged["payload"]["hostile_kind"] == kind


def test_hostile_batch_for_unknown_asset_is_404(sim, world):
    with pytest.raises(Exception) as info:
        sim.emit_hostile_webhook(world.world_id, "nope", "4915100000077", "nan_timestamp")
    assert getattr(info.value, "status", None) == 404
