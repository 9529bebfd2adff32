"""Build the fake Meta as one FastAPI app: control API under ``/_sim``, everything else is Graph.

``create_app`` is the only entry point (the CLI and the tests call it). Routes are added in order: the
control API, the media download and CDN paths, then a catch-all that hands every other request to the
Graph pipeline, so any path Meta might be asked for gets Meta's envelope rather than FastAPI's 404.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from fiwano_conformance.shared.asgi import ONE_WRITE
from simulator import control, ids, webhooks
from simulator.errors import GraphError
from simulator.graph import fastlane, pipeline
from simulator.graph.pipeline import RawResponse
from simulator.graph.media import DOWNLOAD_PATH
from simulator.settings import SimulatorSettings
from simulator.world import Store

log = logging.getLogger("simulator")

_LANE_ANSWER = "fiwano.lane_answer"  # answer_now -> __call__: what the fast lane answered
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _is_control(path: str) -> bool:
    return path == "/_sim" or path.startswith("/_sim/")


def _graph_error_response() -> Response:
    return JSONResponse(GraphError(1, "An unknown error has occurred.", is_transient=True).envelope("graph"),
                        status_code=500)


class SimulatorApp(FastAPI):
    """FastAPI, with the Graph catch-all served without FastAPI's middleware stack and router.

    Every Graph request (anything that is not the control API or a CDN file; media downloads by GET too)
    ends in the pipeline anyway, which catches handler errors itself; going straight there from the ASGI
    scope skips about a dozen ASGI layers and Starlette's request and response objects per request
    (benchmarks/simulator_send.py, docs/benchmarks.md). The answer is the same, including Meta's code-1
    envelope for an unexpected error.
    """

    _GRAPH_METHODS = frozenset(ALL_METHODS)
    fast_lane = True  # SimulatorSettings.fast_lane: the hot paths through simulator/graph/fastlane.py first
    store: Store  # app.state.store, read without Starlette's State lookup (a Python call per request)

    def _lane_route(self, scope: dict[str, Any]) -> bool | None:
        """None: not a Graph request for the catch-all (FastAPI serves it); else whether it is a media download."""
        if scope["type"] == "http" and scope["method"] in self._GRAPH_METHODS and not scope.get("root_path"):
            path = scope["path"]
            download = path == DOWNLOAD_PATH
            if (download and scope["method"] == "GET") or not (download or path == "/_sim"
                                                               or path.startswith(("/_sim/", "/cdn/"))):
                return download
        return None

    def _lane(self, scope: dict[str, Any], raw: bytes, download: bool) -> Any:
        """The fast lane's answer to a whole body (None: the general path answers), or Meta's code-1 envelope."""
        scope["app"] = self
        try:
            return fastlane.answer(self.store, scope, raw, download)
        except Exception as exc:  # noqa: BLE001 - Meta answers its error envelope, never a bare 500
            log.error("unexpected error on %s %s: %r", scope["method"], scope["path"], exc)
            return _graph_error_response()

    def answer_now(self, scope: dict[str, Any], body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """``fiwano_conformance.shared.asgi.ANSWER_NOW``: the fast lane's answer to a request whose body has all
        arrived, given by the kit's server without an ASGI task. None: the request goes the ASGI way (``__call__``),
        which then sends whatever the lane answered here (a response not written in one piece) or, when the lane
        declined, takes the general path without asking the lane again. The lane reads no ``client`` or
        ``scheme`` of the scope, the only keys uvicorn's proxy-headers middleware (skipped here) changes."""
        if not self.fast_lane:
            return None
        download = self._lane_route(scope)
        if download is None:
            return None
        response = self._lane(scope, body, download)
        if type(response) is RawResponse and response.one_write:
            return response.status_code, response.raw_headers, response.body
        scope[_LANE_ANSWER] = response  # None (declined) or an answer for __call__ to send
        return None

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[override]
        download = self._lane_route(scope)
        if download is not None:
            try:
                if _LANE_ANSWER in scope:  # answer_now asked the lane already
                    response = scope.pop(_LANE_ANSWER)
                    if response is None:
                        scope["app"] = self
                        response = await pipeline.handle_scope(self.store, scope, receive, media_download=download)
                elif self.fast_lane:
                    message = await receive()
                    if message["type"] == "http.request" and not message.get("more_body", False):
                        raw = message.get("body", b"")  # the usual body: one message
                        response = self._lane(scope, raw, download)
                        if response is None:
                            response = await pipeline.handle_scope_body(self.store, scope, raw, download)
                    else:  # a body in parts (or a disconnect): the general path reads the rest
                        scope["app"] = self
                        response = await pipeline.handle_scope(self.store, scope, fastlane.replay(message, receive),
                                                               media_download=download)
                else:
                    scope["app"] = self
                    response = await pipeline.handle_scope(self.store, scope, receive, media_download=download)
            except Exception as exc:  # noqa: BLE001 - Meta answers its error envelope, never a bare 500
                log.error("unexpected error on %s %s: %r", scope["method"], scope["path"], exc)
                response = _graph_error_response()
            if type(response) is RawResponse:  # RawResponse.__call__, without its coroutine
                if response.one_write:
                    await send({"type": "http.response.start", "status": response.status_code,
                                "headers": response.raw_headers, ONE_WRITE: len(response.body)})
                else:
                    await send({"type": "http.response.start", "status": response.status_code,
                                "headers": response.raw_headers})
                await send({"type": "http.response.body", "body": response.body})
            else:
                await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: SimulatorSettings | None = None) -> FastAPI:
    settings = settings or SimulatorSettings()
    ids.set_owner(settings.instance, settings.instances)
    app = SimulatorApp(title="Fiwano simulator (fake Meta)", docs_url="/_sim/docs", redoc_url=None,
                       openapi_url="/_sim/openapi.json")
    app.state.store = app.store = Store(settings)
    app.state.settings = settings
    app.fast_lane = settings.fast_lane
    app.router.on_shutdown.append(webhooks.close_session)
    for router in control.routers:
        app.include_router(router)

    async def media_download(request: Request) -> Response:
        mid = request.query_params.get("mid") or ""
        return await pipeline.handle(request, {"media_key": mid or "-"})

    async def cdn_file(request: Request) -> Response:
        return await pipeline.handle(request, {"cdn_key": request.path_params["key"]})

    async def graph(request: Request) -> Response:
        if _is_control(request.url.path):
            return JSONResponse({"detail": f"no control endpoint {request.method} {request.url.path}"},
                                status_code=404)
        return await pipeline.handle(request)

    app.add_route(DOWNLOAD_PATH, media_download, methods=["GET"])
    app.add_route("/cdn/{key:path}", cdn_file, methods=["GET"])
    app.add_route("/{path:path}", graph, methods=ALL_METHODS)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default echoes the input, which may not even be serialisable; keep loc/msg/type.
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s: %r", request.method, request.url.path, exc)
        if _is_control(request.url.path):
            return JSONResponse({"detail": "internal simulator error"}, status_code=500)
        return _graph_error_response()

    return app
