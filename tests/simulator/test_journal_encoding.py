"""The journal's encoder (orjson, with the stdlib as fallback): what is read back is what was appended."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from simulator.journal import Journal, _encode


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("value", [
    {"text": "hé ✓ \u2028 \x00 \"q\"", "n": 1, "f": 1e16, "neg": -0.5, "none": None, "ok": True, "list": [1, "a"]},
    {"big": 2 ** 70},                      # beyond orjson's 64-bit integers: the stdlib encodes it
    {"lone": "\ud800"},                    # a lone surrogate (from a \ud800 escape in a request): the stdlib
    json.loads("[" * 300 + "]" * 300),   # deeper than orjson goes (255): the stdlib
], ids=["json-types", "int-beyond-64-bits", "lone-surrogate", "nested-past-orjson-depth"])
def test_values_read_back_as_the_stdlib_would_encode_them(value):
    assert json.loads(_encode(value)) == json.loads(json.dumps(value, ensure_ascii=False))


def test_other_objects_are_their_str_as_with_the_stdlib():
    when = dt.datetime(2026, 12, 6, 17, 0, tzinfo=dt.timezone.utc)
    assert json.loads(_encode({"when": when, "point": Point(1)})) == {"when": str(when), "point": str(Point(1))}


def test_an_entry_reads_back_whole():
    journal = Journal()
    journal.append(world_id="w", method="POST", path="/v21.0/1/messages", query={"a": "b"}, headers={"h": "é"},
                   raw_body=b'{"x":1}', json={"x": 1, "big": 2 ** 70}, status=200, response={"ok": True},
                   virtual_time=1.5, real_time=2.5)
    (entry,) = journal.entries()
    assert (entry.json, entry.response, entry.headers, entry.body, entry.body_size) == (
        {"x": 1, "big": 2 ** 70}, {"ok": True}, {"h": "é"}, '{"x":1}', 7)
