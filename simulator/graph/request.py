"""Parse an incoming Graph request into one neutral object, the way Graph accepts parameters.

Graph takes parameters from the query string, a JSON body or a form body (Messenger examples send
``recipient={"id": …}`` as form fields holding JSON), and the token from ``Authorization: Bearer`` or an
``access_token`` parameter. A body that cannot be parsed is remembered, not raised, so the pipeline can
answer it with Meta's envelope (code 100) and still journal it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fiwano_conformance.shared import json_read

VERSION_RE = re.compile(r"^v\d{1,2}\.\d{1,2}$")


@dataclass
class GraphRequest:
    method: str
    path: str
    version: str | None
    segments: list[str]
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    json_body: Any
    params: dict[str, Any]
    token: str | None
    base_url: str
    body_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the ASGI scope's header pairs ``headers`` was decoded from, when the request came that way: the journal
    # keeps them as they are (simulator.journal.decoded_headers reads them as ``headers``)
    raw_headers: Any = None

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# json.loads with parse_constant builds a new decoder on every call; one, built once, decodes the same way
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _loads_body(raw: bytes) -> Any:
    """``json.loads(raw, parse_constant=_reject_constant)``: the same encoding detection, the same errors.

    orjson first where it reads as the stdlib would (``fiwano_conformance.shared.json_read``, ~4x cheaper on every
    Graph call); whatever it may not read (other encodings, a BOM, lone surrogate escapes, 1e400, NaN, bad JSON,
    integers beyond 64 bits, deep nesting) is decided by the stdlib decoder, so results and errors stay exactly
    the stdlib's.
    """
    value = json_read.loads(raw)
    if value is not json_read.NOT_READ:
        return value
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def _maybe_json(value: str) -> Any:
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            return _DECODER.decode(stripped)
        except (ValueError, RecursionError):  # nesting deeper than Python's parser goes: just a string
            return value
    return value


def parse(method: str, path: str, query_items: list[tuple[str, str]], headers: dict[str, str], raw: bytes,
          base_url: str) -> GraphRequest:
    parts = [p for p in path.split("/") if p]
    version = parts[0] if parts and VERSION_RE.match(parts[0]) else None
    segments = parts[1:] if version else parts
    query = dict(query_items)
    params: dict[str, Any] = {k: _maybe_json(v) for k, v in query_items} if query_items else {}
    json_body: Any = None
    body_error: str | None = None
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if raw.strip():
        if content_type == "application/x-www-form-urlencoded":
            try:
                form = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
                params.update({k: _maybe_json(v) for k, v in form})
            except (ValueError, UnicodeDecodeError):
                body_error = "the form body could not be parsed"
        elif content_type.startswith("multipart/"):
            pass  # uploads: parameters we need arrive in the query string
        else:
            try:
                json_body = _loads_body(raw)
            except (ValueError, UnicodeDecodeError):
                body_error = "the request body is not valid JSON"
            except RecursionError:  # 1,000 nested arrays used to end in a 500 code 1 (issue 18 row 11)
                body_error = "the request body is nested too deeply"
            else:
                if isinstance(json_body, dict):
                    params.update(json_body)
                else:
                    body_error = "the JSON request body must be an object"
    token = None
    auth = headers.get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and credentials.strip():
        token = credentials.strip()
    elif isinstance(params.get("access_token"), str) and params["access_token"]:
        token = params["access_token"]
    params.pop("access_token", None)
    return GraphRequest(method=method.upper(), path=path, version=version, segments=segments, query=query,
                        headers=headers, raw=raw, json_body=json_body, params=params, token=token,
                        base_url=base_url.rstrip("/"), body_error=body_error)
