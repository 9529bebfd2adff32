"""Hostile but signed Meta webhooks (issue 18 rows 1 and 2): one unusable entry of a batch is skipped or takes
the clock's time, the rest of the batch is stored and relayed, and Meta gets its 200 (a 500 is retried by Meta
for ever and, before the fix, lost every later entry of the batch)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.reference.fake_meta import page_text, wa_text



def _is_clock_time(ctx, stamp: str) -> bool:
    """The event took the reference's clock (to the second) instead of the unusable time."""
    seconds = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    return abs(seconds - ctx.comps.clock.now()) < 5


def _wa_batch(first_timestamp_json: str, first_text_json: str = '"bad"') -> bytes:
    """Raw bytes (non-finite numbers and lone surrogates cannot be written by json.dumps): a WhatsApp batch
    whose first message is hostile and whose second one is ordinary."""
    good = wa_text("1001", "15551234", "good", mid="wamid.GOOD")
    value = good["entry"][0]["changes"][0]["value"]
    first = ('{"from": "15551234", "id": "wamid.BAD", "timestamp": %s, "type": "text", "text": {"body": %s}}'
             % (first_timestamp_json, first_text_json))
    value["messages"] = ["__FIRST__", *value["messages"]]
    return json.dumps(good).replace('"__FIRST__"', first).encode()


def _setup(ctx, channel_type="whatsapp"):
    account = ctx.account()
    channel = ctx.connect(account, channel_type)
    ctx.hook(account, channel, ["message.received"])
    return channel


@pytest.mark.parametrize("timestamp", ['"nan"', '"inf"', '"-inf"', '"1e400"', "1e400", "1e20", "-1e20", "NaN",
                                       "Infinity", "-1", '"253402300800"', "true", "[]", '{"a": 1}'])
def test_row1_meta_webhook_absurd_timestamp_takes_the_clock_and_keeps_the_batch(ctx, timestamp):
    _setup(ctx)
    response = ctx.meta_webhook(_wa_batch(timestamp))
    assert response.status_code == 200, response.text
    bodies = ctx.sink.bodies()
    assert [b["data"]["message_id"] for b in bodies] == ["wamid.BAD", "wamid.GOOD"]
    assert _is_clock_time(ctx, bodies[0]["timestamp"])
    assert bodies[1]["timestamp"] == "2025-01-15T10:30:00Z"


@pytest.mark.parametrize("timestamp", ["NaN", "1e400", "-1e20", '"inf"'])
def test_row1_page_webhook_absurd_timestamp_takes_the_clock(ctx, timestamp):
    _setup(ctx, "facebook")
    good = page_text("page", "3001", "6543217890123456", "good", mid="mid.GOOD")
    bad = dict(good["entry"][0]["messaging"][0], timestamp="__TS__", message={"mid": "mid.BAD", "text": "bad"})
    good["entry"][0]["messaging"].insert(0, bad)
    raw = json.dumps(good).replace('"__TS__"', timestamp).encode()
    assert ctx.meta_webhook(raw).status_code == 200
    bodies = ctx.sink.bodies()
    assert [b["data"]["message_id"] for b in bodies] == ["mid.BAD", "mid.GOOD"]
    assert _is_clock_time(ctx, bodies[0]["timestamp"])


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"'])
def test_row2_meta_webhook_lone_surrogate_entry_skipped_rest_relayed(ctx, text):
    _setup(ctx)
    response = ctx.meta_webhook(_wa_batch('"1736937000"', text))
    assert response.status_code == 200, response.text
    assert [b["data"]["message_id"] for b in ctx.sink.bodies()] == ["wamid.GOOD"]
    assert ctx.comps.db.one("SELECT COUNT(*) FROM messages WHERE direction = 'in'")[0] == 1
    # Meta's retry of the same batch neither fails nor relays the good entry twice
    assert ctx.meta_webhook(_wa_batch('"1736937000"', text)).status_code == 200
    assert len(ctx.sink.requests) == 1


def test_row2_lone_surrogate_in_ids_and_statuses_skipped(ctx):
    _setup(ctx)
    good = wa_text("1001", "15551234", "good", mid="wamid.GOOD")
    value = good["entry"][0]["changes"][0]["value"]
    value["statuses"] = [{"id": "__SID__", "status": "delivered", "timestamp": "1736937010",
                          "recipient_id": "15551234"}]
    value["messages"].insert(0, {"from": "__SID__", "id": "__SID__", "timestamp": "1", "type": "text",
                                 "text": {"body": "x"}})
    raw = json.dumps(good).replace('"__SID__"', '"wamid.\\ud83d"').encode()
    assert ctx.meta_webhook(raw).status_code == 200
    assert [b["data"]["message_id"] for b in ctx.sink.bodies()] == ["wamid.GOOD"]
