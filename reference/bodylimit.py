"""Request body caps enforced before a route reads the body (issue 18 row 4).

A route that calls ``await request.body()`` holds the whole body in memory before it can compare its length
with a limit: four 100 MB posts to ``/meta/webhook`` took the process from 67 MB to 533 MB. Here a body whose
``Content-Length`` is over the cap is refused at once (413, nothing read), and a body without one (chunked) is
read only up to the cap. The server's own flow control then stops reading the socket.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI

MAX_API_BODY_BYTES = 1_048_576           # every JSON route (reference.api.common.read_json)
MAX_META_BODY_BYTES = 8 * 1024 * 1024    # Meta's webhook batches (up to ~3 MB)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def cap_for(path: str) -> int:
    return MAX_META_BODY_BYTES if path == "/meta/webhook" else MAX_API_BODY_BYTES


async def _refuse(send: Any, cap: int) -> None:
    body = json.dumps({"detail": f"Request body too large (max {cap} bytes)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Any) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def limit_body(scope: Any, receive: Any, send: Any) -> Any | None:
    """The ``receive`` to hand to the app, or None when the request was answered with a 413."""
    if scope["method"] not in BODY_METHODS:
        return receive
    cap = cap_for(scope["path"])
    declared = _declared_length(scope)
    if declared is not None:
        if declared > cap:
            await _refuse(send, cap)
            return None
        return receive  # the server never delivers more than the declared length
    # no Content-Length (chunked): read up to the cap here, then replay what was read
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _replay([message], receive)
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > cap:
            await _refuse(send, cap)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return _replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}], receive)


def _replay(messages: list[dict[str, Any]], receive: Any) -> Any:
    pending = list(messages)

    async def replay() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class BodyLimitedApp(FastAPI):
    """The reference's FastAPI application: every HTTP request passes :func:`limit_body` first, then
    :meth:`route` (FastAPI's own routing; ``reference.speedups.dispatch`` overrides it with the direct path)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            receive = await limit_body(scope, receive, send)
            if receive is None:
                return
        await self.route(scope, receive, send)

    async def route(self, scope: Any, receive: Any, send: Any) -> None:
        await super().__call__(scope, receive, send)
