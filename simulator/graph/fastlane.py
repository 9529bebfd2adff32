"""The Graph fast lane: the five hot paths of a load test answered without the general pipeline's scaffolding.

Issue 17 asks the simulator to serve its hot paths (WhatsApp text, media-by-link and template sends, a profile
read, a media download) at half the rate of a raw ASGI app. The general pipeline (``pipeline.py``) spends most of a
request on what every Graph call needs and these do not: decoding every header into a dict, parsing the query and
body into a ``GraphRequest``, attributing the call through two store look-ups under the lock, choosing the surface,
routing by object kind, building the answer's header dict. This lane recognises the ordinary case cheaply and
answers it with the handlers' own code:

- the attribution of ``(method, path, Authorization header)`` is cached (``Store.fast_routes``) and trusted only
  while ``Store.generation`` is the one it was made at: every change of tokens, worlds or object owners bumps it;
- it takes only what it fully recognises: a ``Bearer``/``OAuth`` header token of an asset (no token expiry kept for
  it), a versioned path of the exact shape, no fault rule in the world, a JSON body of at most 64 KiB for a send
  (``Content-Type: application/json``), no body for a read, no ``access_token`` parameter, and then:
  ``POST /{v}/{phone_number_id}/messages`` of the token's own WhatsApp number; ``GET /{v}/{psid or igsid}`` of a
  profile the world knows; ``GET /whatsapp_business/attachments/?mid=…`` of a media file served normally;
- the validation and the effects are the handlers' own (``whatsapp.send``, ``users.profile``), so they cannot drift;
  a ``GraphError`` (a request Meta refuses) returns ``None`` before anything was changed, and the general path then
  answers it as it always did. Anything else the lane does not recognise also returns ``None``;
- the answer's constant headers are the pipeline's cached ones, the JSON by the same encoder, the journal entry
  the one ``Journal.record`` keeps for the same arguments, webhooks scheduled as ``pipeline._schedule`` does.

``FIWANO_SIM_FAST_LANE=false`` (``SimulatorSettings.fast_lane``) turns it off, so tests and benchmarks compare the
two (``tests/simulator/test_fast_lane.py`` sends the same requests through both in two fresh apps).
"""

from __future__ import annotations

import functools
import re
import time
from typing import Any
from urllib.parse import parse_qsl

from fiwano_conformance.shared import json_read
from simulator import events, ids
from simulator.graph import templates, users, whatsapp
from simulator.graph.media import DOWNLOAD_PATH
from simulator.graph.pipeline import _KINDS, _UNSAFE_VALUE, RawResponse, _constant_raw_headers
from simulator.graph.request import VERSION_RE, _maybe_json
from simulator.jsontext import answer_json, record_json
from simulator.journal import BODY_KEEP_CHARS
from simulator.world import Asset, Store, World

# the JSON content types of an ordinary send (the general path reads any other non-form type as JSON too)
_JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8", b"application/json;charset=utf-8",
                         b"application/json; charset=UTF-8"})
_MAX_ROUTES = 4096
_SEND, _READ, _DOWNLOAD = 1, 2, 3
_JSON_HEAD = (b"content-type", b"application/json")


class Route:
    """A cached attribution: the token's world and asset, and the answer's constant headers."""

    __slots__ = ("generation", "kind", "world", "asset", "object_id", "constant", "plain")

    def __init__(self, generation: int, kind: int, world: World, asset: Asset | None, object_id: str,
                 constant: tuple[tuple[bytes, bytes], ...], plain: bool) -> None:
        self.generation, self.kind, self.world, self.asset = generation, kind, world, asset
        self.object_id, self.constant, self.plain = object_id, constant, plain


class LaneCall:
    """What the handlers read of a ``GraphCall`` (world, store, parameters, the token's asset, the clock)."""

    __slots__ = ("store", "world", "token_world", "token_asset", "params")

    def __init__(self, store: Store, world: World, asset: Asset | None, params: dict[str, Any]) -> None:
        self.store, self.world, self.token_world, self.token_asset, self.params = store, world, world, asset, params

    def now(self) -> float:
        return self.world.clock.now()


def _token(auth: bytes) -> str | None:
    """The token ``request.parse`` takes from an Authorization header value, or None."""
    scheme, _, credentials = auth.decode("latin-1").partition(" ")
    token = credentials.strip()
    return token if scheme.lower() in ("bearer", "oauth") and token else None


def _route(store: Store, method: str, path: str, auth: bytes, media_download: bool) -> Route | None:
    """The route of ``(method, path, auth)`` as the general path would attribute and dispatch it, or None."""
    token = _token(auth)
    generation = store.generation
    if token is None or token in store.token_meta:
        return None
    resolved = store.resolve_token(token)
    if resolved is None:
        return None
    world, asset = resolved
    if media_download:
        if method != "GET" or path != DOWNLOAD_PATH:
            return None
        kind, object_id, version = _DOWNLOAD, "", store.app["graph_version"]
    else:
        if asset is None or "?" in path or "#" in path or "\\" in path:
            return None
        parts = path.split("/")
        if len(parts) not in (3, 4) or parts[0] or not VERSION_RE.match(parts[1]) or not parts[2]:
            return None
        version, object_id = parts[1], parts[2]
        if object_id in ("me", "oauth", "debug_token"):
            return None
        owner = world.asset_by_id(object_id, prefer=asset)
        if len(parts) == 4:
            if (method != "POST" or parts[3] != "messages" or owner is not asset or asset.channel != "whatsapp"
                    or object_id != asset.phone_number_id):
                return None
            kind = _SEND
        elif method == "GET" and owner is None:
            kind = _READ
        else:
            return None
    if asset is not None:
        constant, plain = _constant_raw_headers(version, asset.waba_id or asset.page_id or asset.asset_id,
                                                _KINDS[asset.channel])
    else:
        constant, plain = _constant_raw_headers(version, None, None)
    return Route(generation, kind, world, asset, object_id, constant, plain)


def replay(first: dict[str, Any], receive: Any) -> Any:
    """``receive`` that gives ``first`` again before the messages still to come (the app read ``first`` to see
    whether the body came in one message, as usual, for this lane)."""
    pending = [first]

    async def replayed() -> Any:
        return pending.pop() if pending else await receive()

    return replayed


def answer(store: Store, scope: dict[str, Any], raw: bytes, media_download: bool) -> Any:
    """The answer of the fast lane (a ``RawResponse``, already journaled), or None: the general path answers."""
    auth = ctype = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            auth = value
        elif name == b"content-type":
            ctype = value
    if auth is None:
        return None
    method, path = scope["method"], scope["path"]
    key = (method, path, auth)
    route = store.fast_routes.get(key)
    if route is None or route.generation != store.generation:
        route = _route(store, method, path, auth, media_download)
        if route is None:
            return None
        if len(store.fast_routes) >= _MAX_ROUTES:
            store.fast_routes.clear()
        store.fast_routes[key] = route
    world = route.world
    if not world.faults.empty:
        return None
    query = scope.get("query_string", b"")
    if route.kind == _SEND:
        if query or ctype not in _JSON_TYPES or len(raw) > BODY_KEEP_CHARS:
            return None
        params = json_read.loads(raw)
        if type(params) is not dict or "access_token" in params:  # an object (orjson makes plain dicts)
            return None
        body = _ordinary_send(store, route, params)
        if body is not None:  # answered from the prebuilt text: no GraphResult, no answer dict
            trace_id, request_id = ids.fbtrace_id_pair()
            response = RawResponse.ready(body, 200, [(b"x-fb-trace-id", trace_id), (b"x-fb-request-id", request_id),
                                                     *route.constant,
                                                     (b"content-length", str(len(body)).encode("latin-1")),
                                                     _JSON_HEAD], one_write=route.plain)
            # the answer is kept as its bytes (the entry is within the journal's caps: the answer dict is not read)
            store.journal.record(world.world_id, method, path, {}, scope["headers"], raw, params, 200, None,
                                 world.clock.now(), time.time(), None, body, parsed_from_body=True)
            return response
        call = LaneCall(store, world, route.asset, params)
        try:
            result = whatsapp.send(call, route.asset)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - refused (or a bug): nothing was changed, the general path answers it
            return None
        query_dict: dict[str, str] = {}
        parsed: Any = params
    else:
        if raw:
            return None
        items = parse_qsl(query.decode("latin-1"), keep_blank_values=True) if query else []
        query_dict = dict(items)
        if "access_token" in query_dict:
            return None
        parsed = None
        if route.kind == _DOWNLOAD:
            return _download(store, route, scope, query_dict)
        object_id = route.object_id
        if object_id in world.media or object_id in world.templates or object_id not in world.profiles:
            return None
        call = LaneCall(store, world, route.asset, {k: _maybe_json(v) for k, v in items})
        try:
            result = users.profile(call, object_id)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - as above
            return None
    # both handlers answer a JSON body with status 200 and no headers of their own (what _render_fast then sends)
    body = answer_json(result.body)
    trace_id, request_id = ids.fbtrace_id_pair()
    response = RawResponse.ready(body, 200, [(b"x-fb-trace-id", trace_id), (b"x-fb-request-id", request_id),
                                             *route.constant, (b"content-length", str(len(body)).encode("latin-1")),
                                             _JSON_HEAD], one_write=route.plain)
    for delay, payload in result.webhooks:
        events.emit_later(store, world, payload, delay)
    store.journal.record(world.world_id, method, path, query_dict, scope["headers"], raw, parsed, 200, result.body,
                         world.clock.now(), time.time(), None, body, parsed_from_body=parsed is not None)
    return response


# The ordinary sends, answered without the handler (``_ordinary_send``): exactly these keys, each of the ordinary
# type; anything else (context, biz_opaque_callback_data, a media id, a filename, template components...) goes
# through ``whatsapp.send`` in the lane, which validates every case.
_TEXT_KEYS = frozenset({"messaging_product", "recipient_type", "to", "type", "text"})
_TEXT_FIELDS = frozenset({"body", "preview_url"})
_MEDIA_FIELDS = frozenset({"link", "caption"})
_TEMPLATE_FIELDS = frozenset({"name", "language"})
_LINK_RE = re.compile(r"^https?://[^\s/]+")  # whatsapp._media's check of a link
_ANSWER_HEAD = b'{"messaging_product":"whatsapp","contacts":[{"input":"'


def _ordinary_send(store: Store, route: Route, params: dict[str, Any]) -> bytes | None:
    """``whatsapp.send`` of an ordinary text, media-by-link or template send that Meta accepts at once (no window
    or media failure), done here with the same effects (the send kept, the wamid from the same random bytes), and its
    answer's bytes as ``answer_json`` writes them; None (nothing done) for anything else."""
    if params.get("messaging_product") != "whatsapp":
        return None
    world, asset = route.world, route.asset
    assert asset is not None  # a send's route has the token's asset
    kind = params.get("type", "text")
    to = params.get("to")
    if type(to) is not str or not to.isdigit() or not 5 <= len(to) <= 15:
        return None  # (digits only: the answer's "input" then needs no JSON escape)
    if params.get("recipient_type", "individual") not in ("individual", "group"):
        return None
    options = world.options
    if kind == "text":
        if not params.keys() <= _TEXT_KEYS:
            return None
        text = params.get("text")
        if type(text) is not dict or not text.keys() <= _TEXT_FIELDS or type(text.get("preview_url", False)) is not bool:
            return None
        body = text.get("body")
        if type(body) is not str or not body or options.get("text_length_unit", "chars") not in (None, "chars") \
                or len(body) > whatsapp.TEXT_LIMIT:
            return None
    elif kind == "template":
        if not params.keys() <= _TEXT_KEYS - {"text"} | {"template"} or not _plain_template(world, asset, params):
            return None
    elif kind in whatsapp.MEDIA_TYPES:
        if not params.keys() <= _TEXT_KEYS - {"text"} | {kind}:
            return None
        obj = params.get(kind)
        if type(obj) is not dict or not obj.keys() <= _MEDIA_FIELDS:
            return None
        link, caption = obj.get("link"), obj.get("caption")
        if type(link) is not str or not _LINK_RE.match(link):
            return None
        if caption is not None and (type(caption) is not str or kind in ("audio", "sticker")
                                    or len(caption) > whatsapp.CAPTION_LIMIT):
            return None
        if whatsapp._media_failure(route, kind, obj) is not None:  # type: ignore[arg-type]  # (reads .world)
            return None
    else:
        return None
    if kind != "template" and options.get("enforce_window") and not world.window_open(asset.asset_id, to):
        return None  # the send fails later (a status webhook): the handler does that
    now = world.clock.now()
    message_id = ids.wamid(to)
    with store.lock:  # sent_message's record, built here
        world.messages[message_id] = (message_id, asset.asset_id, "whatsapp", to, kind, record_json(params), now, None,
                                      ())
    tail = b'"}]}' if kind != "template" else b'","message_status":"accepted"}]}'
    return b"".join((_ANSWER_HEAD, to.encode(), b'","wa_id":"', to.encode(), b'"}],"messages":[{"id":"',
                     message_id.encode(), tail))


def _plain_template(world: World, asset: Asset, params: dict[str, Any]) -> bool:
    """``templates.validate_send`` accepts this template send without components: an approved template of that name
    and language on the asset's WABA whose body and header have no parameters."""
    tpl = params.get("template")
    if type(tpl) is not dict or not tpl.keys() <= _TEMPLATE_FIELDS:
        return False
    name, language = tpl.get("name"), tpl.get("language")
    if type(name) is not str or not name or type(language) is not dict or type(language.get("code")) is not str:
        return False
    code, waba = language["code"], asset.waba_id
    for template in world.templates.values():  # the first match, as validate_send takes it
        if template.waba_id == waba and template.status != "DELETED" and template.name == name \
                and template.language == code:
            return template.status == "APPROVED" and not _has_parameters(template.components,
                                                                            template.parameter_format)
    return False


def _has_parameters(components: list[dict[str, Any]], parameter_format: str) -> bool:
    return _texts_have_parameters(templates._body_text(components, "BODY"), templates._body_text(components, "HEADER"),
                                  parameter_format)


@functools.lru_cache(maxsize=1024)
def _texts_have_parameters(body: str | None, header: str | None, parameter_format: str) -> bool:
    """Whether validate_send expects parameters for a body and header of these texts (a pure function: cached)."""
    return bool(templates._placeholders(body, parameter_format) or templates._placeholders(header, parameter_format))


def _download(store: Store, route: Route, scope: dict[str, Any], query: dict[str, str]) -> Any:
    """``media.download`` of a file served normally (no hostile delivery), as ``pipeline._render_fast`` answers."""
    world = route.world
    item = world.media.get(query.get("mid") or "-")
    now = world.clock.now()
    if (item is None or item.url_key is None or query.get("hash") != item.url_key or now >= item.url_expires_at
            or item.delivery != "normal"):
        return None
    content, mime = item.content, item.mime_type
    trace_id, request_id = ids.fbtrace_id_pair()
    response = RawResponse(content, 200, [(b"x-fb-trace-id", trace_id), (b"x-fb-request-id", request_id),
                                          *route.constant], mime)
    response.one_write = route.plain and not _UNSAFE_VALUE.search(response.raw_headers[-1][1])
    store.journal.record(world.world_id, "GET", scope["path"], query, scope["headers"], b"", None, 200,
                         f"<{len(content)} bytes of {mime}>", world.clock.now(), time.time(), None, None)
    return response
