"""One path for every Graph request: parse → attribute to a world → scripted fault → handler → journal.

Keeping this in one place guarantees that every request is journaled exactly once, that faults apply to
every endpoint the same way, and that no input can escape as a 500 with a stack trace: handler errors
become Meta's envelope, and anything unexpected becomes Meta's generic code-1 envelope.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from fiwano_conformance.shared.asgi import ONE_WRITE
from simulator import events, ids
from simulator.errors import GraphError, Surface
from simulator.faults import FaultContext
from simulator.graph.context import GraphCall, GraphResult
from simulator.graph.dispatch import dispatch
from simulator.graph.request import GraphRequest, parse
from simulator.journal import decoded_headers
from simulator.jsontext import answer_json
from simulator.world import Store

log = logging.getLogger("simulator.graph")


class DripResponse(Response):
    """Send the real reply ``chunk`` bytes at a time, ``interval`` seconds apart (slow-drip body)."""

    def __init__(self, inner: Response, chunk: int, interval: float) -> None:
        super().__init__(status_code=inner.status_code)
        self.inner = inner
        self.chunk = chunk
        self.interval = interval

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        body = self.inner.body
        await send({"type": "http.response.start", "status": self.inner.status_code,
                    "headers": self.inner.raw_headers})
        for start in range(0, len(body), self.chunk):
            await send({"type": "http.response.body", "body": body[start:start + self.chunk], "more_body": True})
            await asyncio.sleep(self.interval)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class DropConnection(Response):
    """Start a response that promises a body, then return: the server closes the connection mid-reply.

    ASGI gives no access to the socket, so a TCP reset before any byte cannot be produced; to an HTTP
    client this looks the same as a reset during the reply (an incomplete message / protocol error).
    """

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"messaging_product":', "more_body": True})


def _attribute(store: Store, req: GraphRequest) -> GraphCall:
    resolved = store.resolve_token(req.token)
    token_world, token_asset = resolved if resolved else (None, None)
    first = req.segments[0] if req.segments else None
    path_world = store.world_of_object(first) if first else None
    if req.extra.get("media_key"):
        path_world = store.world_of_object(req.extra["media_key"])
    if req.extra.get("cdn_key"):
        path_world = store.world_of_object("cdn:" + req.extra["cdn_key"])
        token_world, token_asset = None, None  # CDN URLs need no token; attribute by the file
    world = token_world or path_world
    if world is None:  # OAuth calls carry their world in a code or in the token they talk about
        code = req.params.get("code")
        if isinstance(code, str) and code in store.oauth_codes:
            world = store.get_world(store.oauth_codes[code]["world_id"])
        for key in ("fb_exchange_token", "input_token"):
            other = store.resolve_token(req.params.get(key)) if isinstance(req.params.get(key), str) else None
            if world is None and other:
                world = other[0]
    surface: Surface = "graph"
    lookup_world = path_world or token_world
    if lookup_world is not None and first:
        asset = lookup_world.asset_by_id(first)
        if asset is None and first == "me":
            asset = token_asset
        if asset is not None and asset.channel == "whatsapp":
            surface = "whatsapp"
        elif asset is None and (first in lookup_world.media or first in lookup_world.templates):
            surface = "whatsapp"
    if req.extra.get("media_key"):
        surface = "whatsapp"
    return GraphCall(store=store, request=req, world=world, token_world=token_world, token_asset=token_asset,
                     surface=surface)


def _fault_context(call: GraphCall) -> FaultContext:
    req = call.request
    asset = None
    if call.world is not None and req.segments:
        asset = call.world.asset_by_id(req.segments[0])
        if asset is None and req.segments[0] == "me":
            asset = call.token_asset
    recipient = req.params.get("to")
    if not isinstance(recipient, str):
        rec = req.params.get("recipient")
        recipient = rec.get("id") if isinstance(rec, dict) and isinstance(rec.get("id"), str) else None
    return FaultContext(method=req.method, path=req.path, channel=asset.channel if asset else None,
                        asset_id=asset.asset_id if asset else None, recipient=recipient)


_USAGE = json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1}, separators=(",", ":"))


def _headers(call: GraphCall) -> dict[str, str]:
    version = call.request.version or call.store.app["graph_version"]
    headers = {"x-fb-trace-id": ids.fbtrace_id(), "x-fb-request-id": ids.fbtrace_id(),
               "facebook-api-version": version, "x-app-usage": _USAGE}
    asset = call.token_asset
    if asset is not None:  # business-use-case usage, keyed by the business object (meta-facts.md §6.1)
        key = asset.waba_id or asset.page_id or asset.asset_id
        headers["x-business-use-case-usage"] = _business_usage(key, _KINDS[asset.channel])
    return headers


@functools.lru_cache(maxsize=4096)
def _business_usage(key: str, kind: str) -> str:
    """The constant usage header of one business object (cached: it was a json.dumps per request)."""
    return json.dumps({key: [{"type": kind, "call_count": 1, "total_cputime": 1, "total_time": 1,
                              "estimated_time_to_regain_access": 0}]}, separators=(",", ":"))


_KINDS = {"whatsapp": "whatsapp_business_management", "facebook": "messenger", "instagram": "instagram"}


# uvicorn's check of a header value (HEADER_VALUE_RE): a value with one of these bytes is refused
_UNSAFE_VALUE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")


@functools.lru_cache(maxsize=4096)
def _constant_raw_headers(version: str, key: str | None,
                          kind: str | None) -> tuple[tuple[tuple[bytes, bytes], ...], bool]:
    """``_headers``' headers after the two trace ids, encoded once per (version, business object), and whether
    every value passes uvicorn's check (the configured Graph version is the one that could fail it)."""
    pairs = [(b"facebook-api-version", version.encode("latin-1")), (b"x-app-usage", _USAGE.encode("latin-1"))]
    if key is not None and kind is not None:
        pairs.append((b"x-business-use-case-usage", _business_usage(key, kind).encode("latin-1")))
    return tuple(pairs), not any(_UNSAFE_VALUE.search(value) for _, value in pairs)


def _raw_headers(call: GraphCall) -> tuple[list[tuple[bytes, bytes]], bool]:
    """``_headers(call)`` as the raw ASGI pairs ``RawResponse`` would make of it, in the same order, and whether the
    server may take them as they are (``ONE_WRITE``); only the two trace ids are new per answer (the hot paths,
    docs/benchmarks.md). Trace ids are URL-safe base64: always valid values."""
    version = call.request.version or call.store.app["graph_version"]
    asset = call.token_asset
    if asset is not None:
        constant, plain = _constant_raw_headers(version, asset.waba_id or asset.page_id or asset.asset_id,
                                                _KINDS[asset.channel])
    else:
        constant, plain = _constant_raw_headers(version, None, None)
    trace_id, request_id = ids.fbtrace_id_pair()
    return [(b"x-fb-trace-id", trace_id), (b"x-fb-request-id", request_id), *constant], plain


_BASE_HEADER_NAMES = frozenset({"x-fb-trace-id", "x-fb-request-id", "facebook-api-version", "x-app-usage",
                                "x-business-use-case-usage"})


def _run_handler(call: GraphCall) -> tuple[GraphResult | None, GraphError | None]:
    try:
        if call.request.body_error:
            raise GraphError(100, "(#100) " + call.request.body_error[0].upper() + call.request.body_error[1:],
                             details=call.request.body_error)
        return dispatch(call), None
    except GraphError as exc:
        return None, exc
    except Exception:  # a bug in the simulator: answer like Meta's unknown error, keep the trace in the log
        log.exception("unexpected error handling %s %s", call.request.method, call.request.path)
        return None, GraphError(1, "An unknown error has occurred.", is_transient=True)


def _journal(call: GraphCall, status: int | None, response: Any, fault: dict[str, Any] | None,
             response_json: bytes | None = None) -> None:
    """``response_json``: the answer's body as sent, when it is ``response`` encoded as JSON (the journal then
    keeps those bytes instead of encoding the same value a second time)."""
    req = call.request
    parsed = req.json_body
    if parsed is None and req.raw and not req.body_error and "form" in req.headers.get("content-type", ""):
        parsed = req.params
    call.store.journal.record(
        call.world.world_id if call.world else None, req.method, req.path, req.query,
        req.headers if req.raw_headers is None else req.raw_headers, req.raw, parsed,
        status, response, call.now(), time.time(), fault, response_json,
        parsed_from_body=parsed is not None and parsed is req.json_body)


def _schedule(call: GraphCall, result: GraphResult) -> None:
    if call.world is None:
        return
    for delay, payload in result.webhooks:
        events.emit_later(call.store, call.world, payload, delay)


def _render_fast(call: GraphCall, result: GraphResult) -> tuple[Any, int, Any, bytes | None] | None:
    """``_render(call, result, None, fast=True)`` for the usual answer (a JSON body or a file, headers of its own
    that do not replace the base ones) without the header dict; None for anything else."""
    if result.response is not None or not _BASE_HEADER_NAMES.isdisjoint(result.headers):
        return None
    raw, plain = _raw_headers(call)
    for name, value in result.headers.items():
        raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    if result.content is not None:
        summary = f"<{len(result.content)} bytes of {result.media_type}>"
        response = RawResponse(result.content, result.status, raw, result.media_type)
        # a file with no headers of its own, a status with a body: the server may take the head as it is
        response.one_write = (plain and not result.headers and 200 <= result.status and result.status not in (204, 304)
                              and not _UNSAFE_VALUE.search(response.raw_headers[-1][1]))
        return response, result.status, summary, None
    body = encode_json(result.body)
    if result.headers or not 200 <= result.status < 300 or result.status == 204:
        return RawResponse(body, result.status, raw, "application/json"), result.status, result.body, body
    # RawResponse's own rules, known here: no content-length or content-type among the headers, a status with a body
    raw.append((b"content-length", str(len(body)).encode("latin-1")))
    raw.append((b"content-type", b"application/json"))
    return RawResponse.ready(body, result.status, raw, one_write=plain), result.status, result.body, body


def _render(call: GraphCall, result: GraphResult | None, error: GraphError | None,
            fast: bool = False) -> tuple[Any, int, Any, bytes | None]:
    """The answer, its status, what the journal keeps of it and, when that is the JSON body sent, its bytes.
    ``fast``: answers as ``RawResponse`` (the same JSON values as ``JSONResponse``; only where no fault
    rewrites the answer afterwards)."""
    if fast and error is None and result is not None:
        done = _render_fast(call, result)
        if done is not None:
            return done
    json_response: Any = RawResponse.json if fast else JSONResponse
    headers = _headers(call)
    if error is not None:
        status = error.http_status(call.surface)
        body = error.envelope(call.surface)
        if status == 401 and call.surface == "whatsapp":
            text = error.message.encode("ascii", "replace").decode().replace('"', "'")
            headers["www-authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{text}"'
        return json_response(body, status_code=status, headers=headers), status, body, None
    assert result is not None
    headers.update(result.headers)
    if result.response is not None:
        result.response.headers.update(headers)
        return result.response, result.status, f"<{result.media_type} delivered as {result.body}>", None
    if result.content is not None:
        summary = f"<{len(result.content)} bytes of {result.media_type}>"
        if fast:
            return (RawResponse(result.content, result.status, headers, result.media_type), result.status, summary,
                    None)
        return Response(result.content, status_code=result.status, media_type=result.media_type,
                        headers=headers), result.status, summary, None
    return (json_response(result.body, status_code=result.status, headers=headers), result.status, result.body,
            None)


async def handle(request: Request, extra: dict[str, Any] | None = None) -> Response:
    store: Store = request.app.state.store
    raw = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    base_url = str(request.base_url)
    req = parse(request.method, request.url.path, request.query_params.multi_items(), headers, raw, base_url)
    req.extra.update(extra or {})
    return await _handle(store, req)


async def handle_scope(store: Store, scope: dict[str, Any], receive: Any, media_download: bool = False) -> Any:
    """``handle`` straight from the ASGI scope: the same inputs as Starlette's ``Request`` gives (decoded
    headers, the last of repeated ones winning; ``parse_qsl`` of the query; the base URL), without building
    its objects (the Graph hot paths, docs/benchmarks.md). ``ClientDisconnect`` as Starlette raises it."""
    return await handle_scope_body(store, scope, await asgi_body(receive), media_download)


async def handle_scope_body(store: Store, scope: dict[str, Any], raw: bytes, media_download: bool = False) -> Any:
    """``handle_scope`` once the body was read (the fast lane hands what it does not take here)."""
    headers = decoded_headers(scope["headers"])
    query = scope.get("query_string", b"")
    query_items = parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else []
    path = scope["path"]
    if "?" in path or "#" in path or "\\" in path:  # Starlette's URL escapes these: take its reading
        path = Request(scope).url.path
    req = parse(scope["method"], path, query_items, headers, raw, base_url_of(scope))
    req.raw_headers = scope["headers"]
    if media_download:  # the media download route: the file named by the last ``mid`` of the query
        req.extra["media_key"] = dict(query_items).get("mid") or "-"
    return await _handle(store, req, fast=True)


async def asgi_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            if body:
                chunks.append(body)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


_BASE_URLS: dict[tuple, str] = {}


def base_url_of(scope: dict[str, Any]) -> str:
    """``str(Request(scope).base_url)``, remembered per (scheme, first Host header, server, root paths)."""
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    server = scope.get("server")
    key = (scope.get("scheme"), host, tuple(server) if server else None, scope.get("root_path", ""),
           scope.get("app_root_path"))
    url = _BASE_URLS.get(key)
    if url is None:
        url = str(Request(scope).base_url)
        if len(_BASE_URLS) < 1024:
            _BASE_URLS[key] = url
    return url


class RawResponse:
    """What Starlette's ``Response(body, status_code, headers, media_type)`` sends, byte for byte, without
    building its object; ``RawResponse.json`` for ``JSONResponse``."""

    __slots__ = ("status_code", "raw_headers", "body", "one_write")

    def __init__(self, body: bytes, status_code: int, headers: dict[str, str] | list[tuple[bytes, bytes]],
                 media_type: str | None) -> None:
        raw = ([(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
               if isinstance(headers, dict) else headers)   # a list: already the raw pairs (lower-case names)
        names = {name for name, _ in raw}
        if b"content-length" not in names and not (status_code < 200 or status_code in (204, 304)):
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if media_type is not None and b"content-type" not in names:
            if media_type.startswith("text/") and "charset=" not in media_type.lower():
                media_type += "; charset=utf-8"
            raw.append((b"content-type", media_type.encode("latin-1")))
        self.status_code = status_code
        self.raw_headers = raw
        self.body = body
        self.one_write = False

    @classmethod
    def ready(cls, body: bytes, status_code: int, raw_headers: list[tuple[bytes, bytes]],
              one_write: bool = False) -> "RawResponse":
        """The answer with its final raw headers (content-length and content-type included). ``one_write``: the
        headers are lower-case names with values uvicorn accepts, one content-length, no transfer-encoding or
        connection (``fiwano_conformance.shared.asgi.ONE_WRITE``)."""
        response = cls.__new__(cls)
        response.status_code, response.raw_headers, response.body = status_code, raw_headers, body
        response.one_write = one_write
        return response

    @classmethod
    def json(cls, content: Any, status_code: int, headers: dict[str, str]) -> "RawResponse":
        return cls(encode_json(content), status_code, headers, "application/json")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.one_write:  # the kit's server writes head and body at once (fiwano_conformance/guarded_http.py)
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers,
                        ONE_WRITE: len(self.body)})
        else:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})


# JSONResponse.render's settings (the stdlib reference that tests/simulator/test_fast_paths.py compares with)
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


def encode_json(content: Any) -> bytes:
    """``JSONResponse.render``: the same JSON text for the values an answer holds (NaN and infinities refused),
    through ``simulator.jsontext`` (orjson where it writes what the stdlib would)."""
    return answer_json(content)


async def _handle(store: Store, req: GraphRequest, fast: bool = False) -> Any:
    call = _attribute(store, req)

    faults = call.world.faults if call.world is not None else None
    picked = faults.pick(_fault_context(call)) if faults is not None and not faults.empty else None
    action = picked["action"] if picked else None
    fault_note = {"rule_id": picked["rule_id"], "kind": action.kind} if picked else None

    if action is not None and action.kind == "slow":
        await asyncio.sleep(action.seconds)
    if action is not None and action.kind == "http_error":
        error = GraphError(action.code, action.message, subcode=action.subcode, error_type=action.error_type,
                           status=action.status, details=action.details, is_transient=action.is_transient)
        status = error.http_status(call.surface)
        if action.html:
            text = f"<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
            _journal(call, status, text, fault_note)
            return Response(text, status_code=status, media_type="text/html",
                            headers={"retry-after": action.retry_after} if action.retry_after else None)
        response, status, body, _ = _render(call, None, error)
        if action.retry_after:
            response.headers["retry-after"] = action.retry_after
        _journal(call, status, body, fault_note)
        return response
    if action is not None and action.kind in ("timeout", "reset"):
        _journal(call, None, f"<{action.kind}>", fault_note)
        if action.kind == "timeout":
            await asyncio.sleep(action.seconds)
        return DropConnection()

    if action is not None and action.kind == "malformed_body" and not action.processed:
        _journal(call, action.status, action.body, fault_note)
        return Response(action.body, status_code=action.status, media_type="application/json")

    result, error = _run_handler(call)
    response, status, body, body_json = _render(call, result, error, fast=fast and action is None)
    if result is not None:
        _schedule(call, result)

    if action is not None and action.kind == "malformed_body":  # processed upstream, reply garbled
        fault_note["handler_status"] = status
        _journal(call, action.status, action.body, fault_note)
        return Response(action.body, status_code=action.status, media_type="application/json")
    if action is not None and action.kind == "drip" and result is not None and result.response is None:
        _journal(call, status, body, fault_note)
        return DripResponse(response, action.chunk_bytes, action.interval_seconds)
    if action is not None and action.kind == "accepted_reply_lost":
        _journal(call, status, body, fault_note)
        if action.seconds:
            await asyncio.sleep(action.seconds)
        return DropConnection()
    _journal(call, status, body, fault_note, body_json)
    return response
