from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reference.app import create_app
from reference.settings import ReferenceSettings
from tests.reference.fake_meta import FakeMeta, FakeMetaTransport, sign

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
SINK = "https://sink.test"


@dataclass
class Sink:
    """Records customer webhook deliveries (raw bytes) and answers from a script (default 200)."""

    requests: list[httpx.Request] = field(default_factory=list)
    script: list[Any] = field(default_factory=list)  # int status, or an exception instance to raise

    async def handler(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, json={"ok": True})

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


class Ctx:
    def __init__(self, client: TestClient, fake: FakeMeta, sink: Sink) -> None:
        self.client = client
        self.fake = fake
        self.sink = sink
        self.comps = client.app.state.components

    def settle(self) -> None:
        self.client.portal.call(self.comps.settle)

    def advance(self, seconds: float) -> dict[str, Any]:
        response = self.client.post("/harness/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text
        self.settle()
        return response.json()

    def account(self, tier: str = "pro", status: str = "active", source: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"tier": tier, "subscription_status": status}
        if source:
            body["source"] = source
        response = self.client.post("/harness/accounts", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def connect(self, account: dict[str, Any], channel_type: str, **asset: Any) -> dict[str, Any]:
        if channel_type == "whatsapp":
            a = self.fake.add_whatsapp(**asset)
            body = {"channel_type": "whatsapp", "asset_id": a["id"], "access_token": a["token"],
                    "waba_id": a["waba_id"]}
        elif channel_type == "facebook":
            a = self.fake.add_facebook(**asset)
            body = {"channel_type": "facebook", "asset_id": a["id"], "access_token": a["token"]}
        else:
            a = self.fake.add_instagram(**asset)
            body = {"channel_type": "instagram", "asset_id": a["id"], "access_token": a["token"],
                    "page_id": a["page_id"]}
        response = self.client.post(f"/harness/accounts/{account['account_id']}/channels", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def api(self, method: str, path: str, key: str | dict[str, Any], **kwargs: Any) -> httpx.Response:
        if isinstance(key, dict):
            key = key["api_key"]
        headers = {"X-API-Key": key, **kwargs.pop("headers", {})}
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)

    def hook(self, account: dict[str, Any], channel: dict[str, Any], events: list[str],
             path: str = "/hooks/1") -> dict[str, Any]:
        response = self.api("PATCH", f"/channels/{channel['id']}", account,
                            json={"webhook_url": SINK + path, "webhook_events": events})
        assert response.status_code == 200, response.text
        return response.json()

    def meta_webhook(self, payload: dict[str, Any] | bytes, secret: str = APP_SECRET,
                     signature: str | None = None) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        sig = signature if signature is not None else sign(body, secret)
        if sig:
            headers["X-Hub-Signature-256"] = sig
        response = self.client.post("/meta/webhook", content=body, headers=headers)
        self.settle()
        return response


def make_settings(tmp_path, **overrides: Any) -> ReferenceSettings:
    values: dict[str, Any] = dict(db_path=str(tmp_path / "ref.sqlite3"), meta_graph_url="http://fake-meta",
                                  meta_app_secret=APP_SECRET, meta_verify_token=VERIFY_TOKEN,
                                  public_url="http://ref.test", test_mode=True, allow_webhook_hosts=["sink.test"])
    values.update(overrides)
    return ReferenceSettings(**values)


@pytest.fixture
def fake_meta() -> FakeMeta:
    return FakeMeta()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def ctx(tmp_path, fake_meta, sink):
    app = create_app(make_settings(tmp_path), meta_transport=FakeMetaTransport(fake_meta),
                     webhook_transport=httpx.MockTransport(sink.handler))
    with TestClient(app) as client:
        yield Ctx(client, fake_meta, sink)
