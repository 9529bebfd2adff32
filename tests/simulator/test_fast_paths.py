"""Issue 17: the Graph hot paths' shortcuts give what the general paths give.

The simulator decodes request bodies with orjson when orjson reads them as the stdlib would, encodes answers with
orjson, keeps the usual journal entry as the bytes it had (decoded when read) and mints trace ids and wamids from
a read-ahead block of random bytes. Each shortcut is checked here against the path it replaces, on the inputs
where the two could part: integers beyond 64 bits, nesting deeper than the stdlib goes, other encodings, lone
surrogates, non-finite numbers.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from simulator import ids
from simulator.app import create_app
from simulator.graph.pipeline import _JSON, encode_json
from simulator.graph.request import _DECODER, _loads_body
from simulator.journal import Journal
from simulator.settings import SimulatorSettings


def _stdlib(raw: bytes) -> object:
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def _outcome(fn, raw: bytes) -> tuple[str, object]:
    try:
        return "value", repr(fn(raw))
    except RecursionError:
        return "error", "RecursionError"
    except (ValueError, UnicodeDecodeError):
        return "error", "ValueError"


BODIES = {
    "plain": b'{"messaging_product":"whatsapp","to":"15551234567","text":{"body":"h\xc3\xa9"}}',
    "int-64-bits": b'{"n":18446744073709551615}',
    "int-beyond-64-bits": b'{"n":18446744073709551616,"m":-9223372036854775809}',
    "1e400": b'{"n":1e400}',
    "nan": b'{"n":NaN}',
    "lone-surrogate-escape": b'{"s":"\\ud800"}',
    "utf8-encoded-surrogate": b'{"s":"\xed\xa0\x80"}',
    "utf8-bom": b'\xef\xbb\xbf{"a":1}',
    "utf16": '{"a":"\u00e9"}'.encode("utf-16"),
    "duplicate-keys": b'{"a":1,"a":2}',
    "nested-300": b'{"a":' + b"[" * 300 + b"]" * 300 + b"}",
    "nested-990": b"[" * 990 + b"]" * 990,
    "nested-2000": b"[" * 2000 + b"]" * 2000,
    "trailing-comma": b'{"a":1,}',
    "control-character": b'{"a":"\x01"}',
}


@pytest.mark.parametrize("raw", BODIES.values(), ids=BODIES.keys())
def test_body_decoding_gives_the_stdlib_value_or_error(raw):
    assert _outcome(_loads_body, raw) == _outcome(_stdlib, raw)


ANSWERS = {
    "send": {"messaging_product": "whatsapp", "contacts": [{"input": "+1 555", "wa_id": "1555"}],
             "messages": [{"id": "wamid.X", "message_status": "accepted"}]},
    "unicode-and-controls": {"t": "h\u00e9 \u2028 \x01 \n \"q\" \\", "k": "✓"},
    "numbers": {"f": 1e16, "g": 0.1, "neg": -0.0, "i": -5, "b": True},
    "null": {"reason": None, "data": []},
    "int-beyond-64-bits": {"n": 2 ** 70},
    "lone-surrogate": {"s": "\ud800"},
}


def _encoded(fn, value: object) -> tuple[str, object]:
    try:
        return "value", json.loads(fn(value))
    except ValueError as exc:  # UnicodeEncodeError (a lone surrogate) is one
        return "error", type(exc).__name__


@pytest.mark.parametrize("value", ANSWERS.values(), ids=ANSWERS.keys())
def test_answer_encoding_reads_back_as_the_stdlib_encoding(value):
    assert _encoded(encode_json, value) == _encoded(lambda v: _JSON.encode(v).encode("utf-8"), value)


@pytest.mark.parametrize("value", [{"n": float("nan")}, {"n": float("inf")}], ids=["nan", "inf"])
def test_answer_with_a_non_finite_number_fails_as_with_the_stdlib(value):
    with pytest.raises(ValueError):
        encode_json(value)


def _record_and_append(raw: bytes, parsed: object, parsed_from_body: bool) -> tuple[object, object]:
    headers = {"host": "sim", "authorization": "Bearer EAAS1", "content-type": "application/json"}
    response = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.Y"}]}
    args = dict(world_id="w", method="POST", path="/v21.0/1/messages", query={"fields": "a"}, headers=headers,
                status=200, virtual_time=1.5, real_time=2.5)
    fast, general = Journal(), Journal()
    fast.record(args["world_id"], "POST", args["path"], args["query"], headers, raw, parsed, 200, response, 1.5,
                2.5, None, encode_json(response), parsed_from_body=parsed_from_body)
    general.append(raw_body=raw, json=parsed, response=response, **args)
    return fast.entries()[0], general.entries()[0]


@pytest.mark.parametrize("raw", [BODIES["plain"], BODIES["int-beyond-64-bits"], BODIES["nested-300"], b""],
                         ids=["plain", "int-beyond-64-bits", "nested-300", "empty"])
def test_a_recorded_entry_reads_back_as_the_appended_one(raw):
    parsed = _loads_body(raw) if raw else None
    fast, general = _record_and_append(raw, parsed, parsed_from_body=parsed is not None)
    assert fast == general
    assert fast.headers == {"host": "sim", "authorization": "Bearer EAAS1", "content-type": "application/json"}


def test_graph_calls_are_journaled_with_body_json_and_answer():
    app = create_app(SimulatorSettings(app_secret="s", verify_token="v"))
    with TestClient(app) as client:
        asset = client.post("/_sim/worlds", json={"assets": [{"channel": "whatsapp"}],
                                                  "options": {"enforce_window": False}}).json()["assets"][0]
        body = {"messaging_product": "whatsapp", "to": "15551234567", "type": "text", "text": {"body": "hi"},
                "n": 2 ** 70}
        raw = json.dumps(body).encode()
        sent = client.post(f"/v21.0/{asset['asset_id']}/messages", content=raw,
                           headers={"authorization": f"Bearer {asset['access_token']}",
                                    "content-type": "application/json"})
        assert sent.status_code == 200
        (entry,) = app.state.store.journal.entries()
        assert entry.json == body and isinstance(entry.json["n"], int)
        assert entry.response == sent.json() and entry.status == 200
        assert entry.body == raw.decode() and entry.body_size == len(raw)
        assert entry.headers["authorization"] == f"Bearer {asset['access_token']}"


def test_minted_ids_keep_their_shapes_and_do_not_repeat():
    traces = [ids.fbtrace_id() for _ in range(2_000)]  # several read-ahead blocks
    traces += [ids.fbtrace_id() if i % 3 else ids.fbtrace_id_pair()[0].decode() for i in range(1_000)]  # mixed
    traces += [t.decode() for _ in range(1_000) for t in ids.fbtrace_id_pair()]  # an answer's two ids at once
    assert len(traces) == 5_000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{12}", t) for t in traces) and len(set(traces)) == len(traces)
    wamids = [ids.wamid("15551234567") for _ in range(2_000)]
    assert all(re.fullmatch(r"wamid\.[A-Za-z0-9+/=]+", w) for w in wamids) and len(set(wamids)) == len(wamids)


@pytest.mark.parametrize("payload", [
    {"messaging_product": "whatsapp", "to": "1555", "text": {"body": "h\u00e9"}},
    {"n": 2 ** 70, "f": float("inf"), "g": -0.5, "none": None, "s": "\ud800"},
], ids=["json", "beyond-orjson"])
def test_a_world_reads_its_sends_back_as_recorded(payload):
    from simulator.world import World, sent_message
    from simulator.clock import Clock

    world = World("w", Clock(), {})
    world.messages["m1"] = sent_message(message_id="m1", asset_id="a", channel="whatsapp", recipient="1555",
                                        kind="text", payload=payload, sent_at=1.5, biz_opaque_callback_data="b")
    world.add_status("m1", "sent")
    world.add_status("m1", "read")
    (sent,) = world.sent_messages()
    assert sent == world.sent("m1") and world.sent("m2") is None
    assert (sent.message_id, sent.kind, sent.sent_at, sent.biz_opaque_callback_data, sent.statuses) == (
        "m1", "text", 1.5, "b", ("sent", "read"))
    assert repr(sent.payload) == repr(payload)
