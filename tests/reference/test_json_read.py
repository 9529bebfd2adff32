"""fiwano_conformance/shared/json_read.py: orjson reads a body only where it reads it as ``json.loads`` would; every
other body is left to the stdlib, so the API's values and its 422 texts are what they were before."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from reference.api import common
from reference.api.common import ApiError, read_json
from fiwano_conformance.shared import json_read

#: bodies orjson reads: the value and each value's type must be the stdlib's
READ = [b'{"a":1,"b":[true,false,null],"c":"x"}', b' \r\n\t{"a" : 1 }\n', b'{"a":1,"a":2}', b"-0", b"-0.0",
        b"1E5", b"1e-7", b"0.1", b"123456789012345678", b'"\\u00e9\\n\\"\\\\"', '"é😀"'.encode(),
        b'{"t":"\\ud83d\\ude00"}', b"[[[[[[[[[[1]]]]]]]]]]", b'{"": {}}', b"[]", b'""', b"2.5e+300"]
#: bodies only the stdlib may decide: other encodings, a BOM, lone surrogate escapes, integers beyond 64 bits,
#: overflowing floats, NaN, deep nesting, bad JSON
LEFT = [b"1e400", b'"\\ud800"', b'{"a":"\\udc00"}', b"\xef\xbb\xbf{}", b"NaN", b"-Infinity", b"[1,]", b'"a\x01"',
        b"0123", b"1.", b"12345678901234567890", b"-9223372036854775809", b"[" * 201 + b"]" * 201,
        '{"a":1}'.encode("utf-16"), b'"\xed\xa0\x80"', b'"\xff"', b"{nope", b""]


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return (type(value).__name__, math.copysign(1, value) if isinstance(value, float) else None, value)


@pytest.mark.parametrize("raw", READ)
def test_what_orjson_reads_is_what_the_stdlib_reads(raw):
    value = json_read.loads(raw)
    assert value is not json_read.NOT_READ
    assert _types(value) == _types(json.loads(raw))
    assert _types(json_read.loads_text(raw.decode())) == _types(json.loads(raw.decode()))


@pytest.mark.parametrize("raw", LEFT)
def test_what_orjson_would_read_differently_or_refuses_is_left_to_the_stdlib(raw):
    assert json_read.loads(raw) is json_read.NOT_READ


def test_big_integers_keep_the_stdlibs_exact_value():
    text = '{"n": 123456789012345678901234567890}'
    assert json_read.loads_text(text) == {"n": 123456789012345678901234567890}


class _Body:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def body(self) -> bytes:
        return self.raw


def _answer(raw: bytes):
    try:
        return "value", asyncio.run(read_json(_Body(raw)))  # type: ignore[arg-type]
    except ApiError as exc:
        return exc.status_code, exc.detail


@pytest.mark.parametrize("raw", READ + LEFT + [b"  ", b'{"a":"\\ud800"}', b"[" * 5000])
def test_read_json_answers_as_with_the_stdlib_alone(raw, monkeypatch):
    fast = _answer(raw)
    monkeypatch.setattr(json_read, "orjson", None)  # the stdlib alone, as before the speed-up
    assert fast == _answer(raw)
    assert common.json_read is json_read
