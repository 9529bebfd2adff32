"""simulator.jsontext writes the stdlib's text for every value, orjson or not (the one JSON writer of the
simulator's answers and kept sends)."""

from __future__ import annotations

import json
import math

import pytest

from simulator.jsontext import answer_json, record_json

VALUES = [
    {"text": {"body": "héllo ✓ 😀"}, "to": "15551234567", "n": 1, "f": 1.5, "ok": True},
    {"none": None, "list": [None, 1]},
    {"big": 2**70},                 # orjson refuses ints beyond 64 bits
    {"deep": [[[[{"a": []}]]]]},
    [], "", 0,
]


def _stdlib(value: object, allow_nan: bool) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=allow_nan, separators=(",", ":"))


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_text_is_the_stdlibs(value: object) -> None:
    assert answer_json(value) == _stdlib(value, False).encode("utf-8")
    assert record_json(value) == _stdlib(value, True)


def test_a_lone_surrogate_is_kept_in_a_record_and_refused_in_an_answer() -> None:
    assert record_json({"lone": "\ud800"}) == _stdlib({"lone": "\ud800"}, True)
    with pytest.raises(UnicodeEncodeError):
        answer_json({"lone": "\ud800"})


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_is_refused_in_answers_and_kept_in_records(number: float) -> None:
    with pytest.raises(ValueError):
        answer_json({"x": number})
    assert record_json({"x": number}) == _stdlib({"x": number}, True)   # NaN, Infinity, -Infinity
