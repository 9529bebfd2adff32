"""A direct path for the hottest routes (sends, the channel list and Meta's webhook), skipping FastAPI's per-request
machinery (a dozen ASGI layers, route matching over every router, dependency solving), which costs more CPU
than the send itself (docs/benchmarks.md).

``GET /api/v1/channels/{channel_id}/templates`` is resolved per concrete path (FastAPI's own match for that
path, remembered). The path is taken only for a route that FastAPI itself would select for that exact method and path, whose
endpoint and dependencies are still the original functions of ``reference.api``; anything else (a route
replaced or wrapped by a test, a dependency override, middleware added to the app) leaves the request to
FastAPI. What the fast path does is what FastAPI does for these endpoints: the ``require_api_key``
dependency with a sub-response whose headers are copied onto the answer, the endpoint called with
``request`` and ``caller``, its dict rendered as JSON by pydantic (FastAPI's ``dump_json`` path for a
``dict[str, Any]`` return type), exceptions answered by the app's exception handlers (and an unexpected
error re-raised after its 500, like Starlette's ServerErrorMiddleware).

Used when the reference's ``speedups`` setting is on (the default); off, ``reference.app`` builds a plain
``BodyLimitedApp`` and every request goes through FastAPI. tests/reference/test_speedups_dispatch.py sends the
same requests through both and compares the answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pydantic_core
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from fiwano_conformance.shared.asgi import ONE_WRITE
from reference.api import common as api_common
from reference.api import meta_webhook as api_meta
from reference.api import templates as api_templates
from reference.api import v1 as api_v1
from reference.bodylimit import BodyLimitedApp

log = logging.getLogger("reference.speedups.dispatch")

# (method, path) -> the original endpoint that must be the one FastAPI routes to
_CANDIDATES: dict[tuple[str, str], Callable[..., Any]] = {
    ("POST", "/api/v1/messages/send"): api_v1.send_message,
    ("POST", "/api/v1/messages/send-media"): api_v1.send_media,
    ("GET", "/api/v1/channels"): api_v1.list_channels,
    ("POST", "/api/v1/messages/send-template"): api_templates.send_template,
}
# endpoints that take only ``request`` (no dependency) and return a Response: Meta's webhook, whose 200 the
# relay latency waits for at every inbound message (issue 17)
_PLAIN_CANDIDATES: dict[tuple[str, str], Callable[..., Any]] = {
    ("POST", "/meta/webhook"): api_meta.receive,
}
_PLAIN_ENDPOINTS = frozenset(_PLAIN_CANDIDATES.values())
# routes with one path parameter: (method, pattern, endpoint, parameter name); resolved per concrete path
_PATTERNS: list[tuple[str, re.Pattern[str], Callable[..., Any], str]] = [
    ("GET", re.compile(r"/api/v1/channels/([^/]+)/templates"), api_templates.list_templates, "channel_id"),
]
_DYNAMIC_CACHE_MAX = 50_000
_REQUIRE_API_KEY = api_common.require_api_key


def _selected_route(app: BodyLimitedApp, method: str, path: str) -> Any:
    """The route FastAPI's router would hand this request to (None if it cannot be told)."""
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": "", "app": app,
                             "headers": [], "query_string": b""}
    partial = None
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            while not isinstance(route, APIRoute):
                inner = getattr(route, "_match", None)
                if inner is None:
                    return None
                match, _, route, _ = inner(scope)
                if match != Match.FULL or route is None:
                    return None
            return route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return None


def _usable(route: APIRoute, endpoint: Callable[..., Any], path_param: str | None = None) -> bool:
    dependant = route.dependant
    if route.endpoint is not endpoint or dependant.call is not endpoint:
        return False
    if getattr(route, "response_class", None) is not None and not _is_default(route.response_class):
        return False
    if route.status_code not in (None, 200):
        return False
    names = set()
    for dep in dependant.dependencies:
        if dep.call is not _REQUIRE_API_KEY or dep.dependencies or not dep.use_cache:
            return False
        if dep.name is not None:
            names.add(dep.name)
    if names != {"caller"} or dependant.request_param_name != "request" or dependant.response_param_name:
        return False
    if dependant.query_params or dependant.header_params or dependant.cookie_params or dependant.body_params:
        return False
    if path_param is None:
        return not dependant.path_params
    return [(p.name, p.field_info.annotation) for p in dependant.path_params] == [(path_param, str)] \
        if all(hasattr(p, "field_info") for p in dependant.path_params) else False


def _usable_plain(route: APIRoute, endpoint: Callable[..., Any]) -> bool:
    """The original endpoint, called with the request alone, its Response returned as it is."""
    dependant = route.dependant
    if route.endpoint is not endpoint or dependant.call is not endpoint or dependant.dependencies:
        return False
    if getattr(route, "response_class", None) is not None and not _is_default(route.response_class):
        return False
    if route.status_code not in (None, 200) or dependant.request_param_name != "request":
        return False
    return not (dependant.response_param_name or dependant.query_params or dependant.header_params
                or dependant.cookie_params or dependant.body_params or dependant.path_params
                or getattr(dependant, "background_tasks_param_name", None))


_JSON = b"application/json"
#: the headers ``require_api_key`` adds to an answer (digits only), which the direct path vouches for (ONE_WRITE)
_VOUCHED = frozenset({b"x-ratelimit-limit", b"x-ratelimit-remaining"})


class _DirectRequest(Request):
    """Starlette's Request, whose ``body()`` takes a body that came in one message (the usual case, and what
    ``bodylimit`` hands on for a chunked one) without Starlette's async generator; anything else (a body in
    several messages, a disconnect) is put back and read by Starlette as before."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body") and not self._stream_consumed:
            message = await self._receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                self._stream_consumed = True
                self._body = message.get("body", b"")
                return self._body
            pending, receive = [message], self._receive

            async def replay() -> Any:
                return pending.pop() if pending else await receive()

            self._receive = replay
        return await super().body()


def _sub_response() -> Response:
    """What FastAPI hands to dependencies that take a Response: ``Response()`` without its content-length, status
    None. Set attribute by attribute (what ``Response()`` sets, less the deleted header): half the cost."""
    response = Response.__new__(Response)
    response.status_code = None  # type: ignore[assignment]
    response.background = None
    response.body = b""
    response.raw_headers = []
    return response


def _is_default(response_class: Any) -> bool:
    from fastapi.datastructures import DefaultPlaceholder

    return isinstance(response_class, DefaultPlaceholder)


class FastDispatchApp(BodyLimitedApp):
    """The reference's FastAPI application, with the direct path described in the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fast_routes: dict[tuple[str, str], Callable[..., Any]] | None = None
        self._fast_dynamic: dict[tuple[str, str], Callable[..., Any] | None] = {}

    def _resolve_fast_routes(self) -> dict[tuple[str, str], Callable[..., Any]]:
        if self.user_middleware or self.dependency_overrides:
            return {}
        routes: dict[tuple[str, str], Callable[..., Any]] = {}
        for (method, path), endpoint in _CANDIDATES.items():
            try:
                route = _selected_route(self, method, path)
            except Exception:  # pragma: no cover - FastAPI internals changed: stay on the normal path
                log.debug("fast path unavailable for %s %s", method, path, exc_info=True)
                continue
            if isinstance(route, APIRoute) and _usable(route, endpoint):
                routes[(method, path)] = endpoint
        for (method, path), endpoint in _PLAIN_CANDIDATES.items():
            try:
                route = _selected_route(self, method, path)
            except Exception:  # noqa: BLE001 - pragma: no cover - FastAPI internals changed: stay on the normal path
                continue
            if isinstance(route, APIRoute) and _usable_plain(route, endpoint):
                routes[(method, path)] = endpoint
        return routes

    async def route(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            routes = self._fast_routes
            if routes is None:
                routes = self._fast_routes = self._resolve_fast_routes()
            key = (scope["method"], scope["path"])
            endpoint = routes.get(key)
            if endpoint is not None:
                if endpoint in _PLAIN_ENDPOINTS:
                    await self._fast_plain(endpoint, scope, receive, send)
                else:
                    await self._fast(endpoint, scope, receive, send)
                return
            if routes:
                for method, pattern, original, name in _PATTERNS:
                    match = pattern.fullmatch(key[1]) if method == key[0] else None
                    if match is None:
                        continue
                    if key in self._fast_dynamic:
                        endpoint = self._fast_dynamic[key]
                    else:  # FastAPI's own choice for this exact path, once
                        endpoint = self._resolve_one(method, key[1], original, name)
                        if len(self._fast_dynamic) >= _DYNAMIC_CACHE_MAX:
                            self._fast_dynamic.clear()
                        self._fast_dynamic[key] = endpoint
                    if endpoint is not None:
                        await self._fast(endpoint, scope, receive, send, {name: match.group(1)})
                        return
                    break
        await super().route(scope, receive, send)

    def _resolve_one(self, method: str, path: str, endpoint: Callable[..., Any], name: str) -> Callable[..., Any] | None:
        try:
            route = _selected_route(self, method, path)
        except Exception:  # noqa: BLE001 - pragma: no cover - FastAPI internals changed: stay on the normal path
            return None
        return endpoint if isinstance(route, APIRoute) and _usable(route, endpoint, name) else None

    async def _fast(self, endpoint: Callable[..., Any], scope: Any, receive: Any, send: Any,
                    path_params: dict[str, str] | None = None) -> None:
        scope["app"] = self
        if "router" not in scope:
            scope["router"] = self.router
        if path_params:
            scope["path_params"] = path_params
        request = _DirectRequest(scope, receive, send)
        try:
            sub_response = _sub_response()
            caller = await _REQUIRE_API_KEY(request, sub_response)
            content = await endpoint(request=request, caller=caller, **(path_params or {}))
            if isinstance(content, Response):
                response = content
            else:
                body = pydantic_core.to_json(content)
                status = sub_response.status_code or 200
                response = None
        except Exception as exc:  # noqa: BLE001 - every error goes to the app's handlers, re-raised if none takes it
            await self._answer_error(request, exc, scope, receive, send)
            return
        if response is not None:
            await response(scope, receive, send)
            return
        # what Response(body, status_code=status, media_type="application/json") with the sub-response's headers
        # appended would send (tests/reference/test_speedups_dispatch.py compares every header), without building it
        extra = sub_response.raw_headers
        if status < 200 or status in (204, 304):
            await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", _JSON), *extra]})
        elif all(name in _VOUCHED for name, _ in extra):
            # the kit's server writes head and body at once (ONE_WRITE, fiwano_conformance/guarded_http.py): lower-case
            # names, the key check's numbers as values, one content-length; other servers ignore the key
            await send({"type": "http.response.start", "status": status, ONE_WRITE: len(body),
                        "headers": [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _JSON),
                                    *extra]})
        else:
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _JSON),
                                    *extra]})
        await send({"type": "http.response.body", "body": body})

    async def _fast_plain(self, endpoint: Callable[..., Any], scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = self
        if "router" not in scope:
            scope["router"] = self.router
        request = _DirectRequest(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:  # noqa: BLE001 - every error goes to the app's handlers, re-raised if none takes it
            await self._answer_error(request, exc, scope, receive, send)
            return
        await response(scope, receive, send)

    async def _answer_error(self, request: Request, exc: Exception, scope: Any, receive: Any, send: Any) -> None:
        """Answer as the app's exception handlers would; an error no handler takes is re-raised (after its 500,
        like Starlette's ServerErrorMiddleware, which answers, then re-raises for the server log)."""
        handler, last_resort = self._handler_for(exc)
        if handler is None:
            raise exc
        response = await handler(request, exc)
        await response(scope, receive, send)
        if last_resort:
            raise exc

    def _handler_for(self, exc: Exception) -> tuple[Callable[..., Any] | None, bool]:
        handlers = self.exception_handlers
        for cls in type(exc).__mro__:
            if cls is Exception:
                break
            if cls in handlers:
                return handlers[cls], False
        return handlers.get(500) or handlers.get(Exception), True
