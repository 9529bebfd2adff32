"""Meta's webhook on the reference's direct path (reference/speedups/dispatch.py, issue 17): the same answers and effects
as through FastAPI, and FastAPI again as soon as the route is not the original one."""

from __future__ import annotations

import json

import pytest
from fastapi.responses import PlainTextResponse

from reference.speedups.dispatch import FastDispatchApp
from tests.reference.conftest import APP_SECRET
from tests.reference.fake_meta import sign, wa_text


@pytest.fixture
def taken(monkeypatch):
    calls: list[str] = []
    original = FastDispatchApp._fast_plain

    async def spy(self, endpoint, scope, receive, send):
        calls.append(scope["path"])
        await original(self, endpoint, scope, receive, send)

    monkeypatch.setattr(FastDispatchApp, "_fast_plain", spy)
    return calls


def _cases(ctx) -> list[tuple[int, str]]:
    account = ctx.account()
    channel = ctx.connect(account, "whatsapp")
    ctx.hook(account, channel, ["message.received"])
    good = json.dumps(wa_text("1001", "15551234", "hello")).encode()
    answers = []
    for body, signature in ((good, sign(good, APP_SECRET)), (good, "sha256=" + "0" * 64), (b"{nope", None),
                            (good, sign(good, APP_SECRET))):  # the last one: Meta's redelivery, a duplicate
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": signature if signature is not None else sign(body, APP_SECRET)}
        response = ctx.client.post("/meta/webhook", content=body, headers=headers)
        ctx.settle()
        answers.append((response.status_code, response.text))
    return answers


def test_meta_webhook_answers_on_the_direct_path_as_through_fastapi(ctx, taken):
    answers = _cases(ctx)
    assert taken == ["/meta/webhook"] * 4
    assert answers == [(200, "EVENT_RECEIVED"), (401, '{"detail":"Invalid or missing X-Hub-Signature-256"}'),
                       (400, '{"detail":"Malformed JSON body"}'), (200, "EVENT_RECEIVED")]
    assert len(ctx.sink.requests) == 1  # relayed once: the redelivery was a duplicate


def test_only_the_original_meta_webhook_endpoint_takes_the_direct_path():
    from fastapi import Depends, Request
    from fastapi.routing import APIRoute

    from reference.api import meta_webhook
    from reference.speedups.dispatch import _usable_plain

    async def replaced(request: Request) -> PlainTextResponse:
        return PlainTextResponse("REPLACED")

    def extra() -> int:
        return 1

    async def with_dependency(request: Request, value: int = Depends(extra)) -> PlainTextResponse:
        return await meta_webhook.receive(request)

    assert _usable_plain(APIRoute("/meta/webhook", meta_webhook.receive, methods=["POST"]), meta_webhook.receive)
    assert not _usable_plain(APIRoute("/meta/webhook", replaced, methods=["POST"]), meta_webhook.receive)
    assert not _usable_plain(APIRoute("/meta/webhook", with_dependency, methods=["POST"]), with_dependency)
    assert not _usable_plain(APIRoute("/meta/webhook", meta_webhook.receive, methods=["POST"], status_code=202),
                             meta_webhook.receive)


def test_with_middleware_meta_webhook_is_served_by_fastapi(tmp_path, taken):
    from fastapi.testclient import TestClient
    from starlette.middleware.base import BaseHTTPMiddleware

    from reference.app import create_app
    from tests.reference.conftest import make_settings

    app = create_app(make_settings(tmp_path))

    async def passthrough(request, call_next):
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=passthrough)
    with TestClient(app) as client:
        response = client.post("/meta/webhook", content=b"{}", headers={"X-Hub-Signature-256": "sha256=00"})
    assert response.status_code == 401
    assert taken == []
