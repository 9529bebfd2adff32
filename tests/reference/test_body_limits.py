"""Oversized bodies are refused before they are read (issue 18 row 4): from ``Content-Length`` at once, and a
chunked body only up to the cap. Before the fix every body route read the whole body, then answered 413
(4 x 100 MB posts to /meta/webhook: peak RSS 67 -> 533 MB; ``python -m benchmarks.body_abuse`` for the figure).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from reference.bodylimit import MAX_API_BODY_BYTES, MAX_META_BODY_BYTES

CHUNK = 64 * 1024
HUGE = 100 * 1024 * 1024


def _call(app, method: str, path: str, total: int, *, declared: bool) -> tuple[int, int, dict]:
    """Drive the ASGI app with a body of ``total`` bytes in 64 KB chunks; (status, bytes the app pulled, body)."""
    pulled = 0
    sent = []
    headers = [(b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", str(total).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def receive():
        nonlocal pulled
        if pulled >= total:
            await asyncio.sleep(3600)
        size = min(CHUNK, total - pulled)
        pulled += size
        return {"type": "http.request", "body": b" " * size, "more_body": pulled < total}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], pulled, json.loads(body)


@pytest.mark.parametrize("path,cap", [("/meta/webhook", MAX_META_BODY_BYTES),
                                      ("/api/v1/messages/send", MAX_API_BODY_BYTES),
                                      ("/api/v1/channels/x", MAX_API_BODY_BYTES),
                                      ("/harness/accounts", MAX_API_BODY_BYTES)])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_row4_oversized_body_refused_before_it_is_read(ctx, path, cap, declared):
    method = "PATCH" if path.startswith("/api/v1/channels/") else "POST"
    status, pulled, body = _call(ctx.client.app, method, path, HUGE, declared=declared)
    assert status == 413
    assert body == {"detail": f"Request body too large (max {cap} bytes)"}
    if declared:
        assert pulled == 0
    else:
        assert pulled <= cap + CHUNK


def test_row4_body_at_the_cap_still_reaches_the_route(ctx):
    status, pulled, body = _call(ctx.client.app, "POST", "/meta/webhook", MAX_META_BODY_BYTES, declared=False)
    assert pulled == MAX_META_BODY_BYTES
    assert status == 401  # read whole and handed to the route (no signature): not refused for its size
