"""Compact JSON text of the simulator's own values (answers, kept sends): orjson where it writes what the stdlib
would, the stdlib otherwise, so the text is the stdlib's for every value.

orjson is ~10x cheaper per answer on the Graph hot paths (docs/benchmarks.md). Where the two differ: orjson
writes NaN and infinities as ``null`` (so any output holding ``null`` is encoded again by the stdlib, which
then raises or writes ``NaN``, as asked), and it refuses integers beyond 64 bits, lone surrogates and
non-string keys (the stdlib takes those).
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency (pyproject.toml); the stdlib alone writes the same text
    orjson = None  # type: ignore[assignment]

# the stdlib's settings, each encoder built once (json.dumps with arguments builds one per call)
_STRICT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_LENIENT = json.JSONEncoder(ensure_ascii=False, allow_nan=True, separators=(",", ":"))


def _orjson_exact(value: Any) -> bytes | None:
    """orjson's text when it is the stdlib's; None when it is not (or orjson refuses the value)."""
    if orjson is None:
        return None
    try:
        text = orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return None
    return None if b"null" in text else text


def answer_json(value: Any) -> bytes:
    """An answer's body, as Starlette's ``JSONResponse`` renders it: UTF-8, ``ValueError`` for NaN and
    infinities (``UnicodeEncodeError`` for a lone surrogate)."""
    text = _orjson_exact(value)
    if text is not None:
        return text
    return _STRICT.encode(value).encode("utf-8")


def record_json(value: Any) -> str:
    """Text that ``json.loads`` reads back as ``value``: NaN and infinities as ``NaN``/``Infinity``, a lone
    surrogate kept (a ``str``, not bytes)."""
    text = _orjson_exact(value)
    if text is not None:
        return text.decode("utf-8")
    return _LENIENT.encode(value)
