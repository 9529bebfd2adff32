"""A small fake of Meta's Graph API for the reference's own unit tests (the kit's simulator is separate).

Assets are registered with a token; sends succeed unless a scripted fault is queued for the sender id.
Every call is journaled. Helpers build signed Meta webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections import defaultdict, deque
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


class FakeMeta:
    def __init__(self) -> None:
        self.assets: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}          # token -> asset id
        self.faults: dict[str, deque] = defaultdict(deque)
        self.journal: list[dict[str, Any]] = []
        self.subscriptions: set[str] = set()
        self.media: dict[str, tuple[bytes, str]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1000)
        self.oauth_codes: dict[str, str] = {}       # Meta OAuth code -> user token
        self.grants: dict[str, list[str]] = {}       # user token -> granted asset ids
        self.app = self._build()

    # world ------------------------------------------------------------------------------------------
    def add_whatsapp(self, phone_number_id: str = "1001", waba_id: str = "2001", token: str = "tok-wa",
                     name: str = "My Business", phone: str = "+1 555 0100") -> dict[str, Any]:
        asset = {"channel": "whatsapp", "id": phone_number_id, "display_phone_number": phone,
                 "verified_name": name, "waba_id": waba_id, "token": token}
        self.assets[phone_number_id] = asset
        self.assets[waba_id] = {"channel": "waba", "id": waba_id, "token": token}
        self.tokens[token] = phone_number_id
        return asset

    def add_facebook(self, page_id: str = "3001", token: str = "tok-fb", name: str = "My Page") -> dict[str, Any]:
        asset = {"channel": "facebook", "id": page_id, "name": name, "token": token}
        self.assets[page_id] = asset
        self.tokens[token] = page_id
        return asset

    def add_instagram(self, ig_id: str = "4001", page_id: str = "3002", token: str = "tok-ig",
                      username: str = "mybusiness") -> dict[str, Any]:
        asset = {"channel": "instagram", "id": ig_id, "username": username, "name": "My Business IG",
                 "page_id": page_id, "token": token}
        self.assets[ig_id] = asset
        self.assets[page_id] = {"channel": "page", "id": page_id, "name": "Linked Page", "token": token}
        self.tokens[token] = ig_id
        return asset

    def grant(self, user_token: str, *asset_ids: str) -> str:
        """A user who approved the dialog: returns the OAuth code Meta would redirect with."""
        code = f"metacode-{next(self._ids)}"
        self.oauth_codes[code] = user_token
        self.grants[user_token] = list(asset_ids)
        self.tokens.setdefault(user_token, asset_ids[0] if asset_ids else "")
        return code

    def fail_next(self, sender_id: str, *responses: tuple[int, dict[str, Any] | None]) -> None:
        """Queue responses (status, body) for the next sends from ``sender_id``; body None = network error."""
        self.faults[sender_id].extend(responses)

    def sends(self, sender_id: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.journal if e["method"] == "POST" and e["path"].endswith("/messages")
                and (sender_id is None or e["path"].split("/")[2] == sender_id)]

    # app --------------------------------------------------------------------------------------------
    def _token(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return request.query_params.get("access_token")

    @staticmethod
    def error(status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": "OAuthException", "code": code,
                                       "fbtrace_id": "AbC123"}}, status_code=status)

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.middleware("http")
        async def journal(request: Request, call_next):
            body = await request.body()
            entry = {"method": request.method, "path": request.url.path, "query": dict(request.query_params),
                     "headers": dict(request.headers), "body": body.decode("utf-8", "replace")}
            try:
                entry["json"] = json.loads(body) if body else None
            except ValueError:
                entry["json"] = None
            fake.journal.append(entry)
            response = await call_next(request)
            entry["status"] = response.status_code
            return response

        @app.get("/{version}/oauth/access_token")
        async def access_token(version: str, request: Request) -> Response:
            q = request.query_params
            if q.get("grant_type") == "fb_exchange_token":
                if q["fb_exchange_token"] not in fake.tokens:
                    return fake.error(400, 190, "Error validating access token: The user has not authorized application")
                return JSONResponse({"access_token": q["fb_exchange_token"], "token_type": "bearer",
                                     "expires_in": 5183944})
            token = fake.oauth_codes.pop(q.get("code", ""), None)
            if token is None:
                return fake.error(400, 100, "Invalid verification code format.")
            return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600})

        @app.get("/{version}/me/accounts")
        async def me_accounts(version: str, request: Request) -> Response:
            token = fake._token(request) or ""
            pages = []
            for asset_id in fake.grants.get(token, []):
                asset = fake.assets[asset_id]
                if asset["channel"] == "facebook":
                    pages.append({"id": asset_id, "name": asset["name"], "access_token": asset["token"]})
                elif asset["channel"] == "instagram":
                    pages.append({"id": asset["page_id"], "name": "Linked Page", "access_token": asset["token"],
                                  "instagram_business_account": {"id": asset_id, "username": asset["username"]}})
            return JSONResponse({"data": pages})

        @app.get("/{version}/debug_token")
        async def debug_token(version: str, request: Request) -> Response:
            token = request.query_params.get("input_token", "")
            wabas = [fake.assets[a]["waba_id"] for a in fake.grants.get(token, [])
                     if fake.assets[a]["channel"] == "whatsapp"]
            return JSONResponse({"data": {"is_valid": True, "granular_scopes": [
                {"scope": "whatsapp_business_management", "target_ids": wabas}]}})

        @app.get("/{version}/{waba_id}/phone_numbers")
        async def phone_numbers(version: str, waba_id: str) -> Response:
            numbers = [{"id": a["id"], "display_phone_number": a["display_phone_number"],
                        "verified_name": a["verified_name"]} for a in fake.assets.values()
                       if a["channel"] == "whatsapp" and a["waba_id"] == waba_id]
            return JSONResponse({"data": numbers})

        @app.api_route("/{version}/{waba_id}/message_templates", methods=["GET", "POST", "DELETE"])
        async def message_templates(version: str, waba_id: str, request: Request) -> Response:
            if fake.tokens.get(fake._token(request) or "") is None:
                return fake.error(401, 190, "Invalid OAuth access token")
            if fake.faults.get("templates"):
                status, body = fake.faults["templates"].popleft()
                return JSONResponse(body, status_code=status)
            if request.method == "GET":
                return JSONResponse({"data": [t for t in fake.templates.values() if t["waba_id"] == waba_id],
                                     "paging": {"cursors": {"before": "a", "after": "b"}}})
            if request.method == "POST":
                payload = await request.json()
                tid = str(next(fake._ids))
                fake.templates[tid] = {**payload, "id": tid, "status": "PENDING", "waba_id": waba_id}
                return JSONResponse({"id": tid, "status": "PENDING", "category": payload["category"]})
            name = request.query_params.get("name")
            hsm = request.query_params.get("hsm_id")
            for tid in [t for t, v in fake.templates.items() if v["name"] == name and (not hsm or t == hsm)]:
                del fake.templates[tid]
            return JSONResponse({"success": True})

        @app.post("/{version}/{template_id}")
        async def edit_template(version: str, template_id: str, request: Request) -> Response:
            if template_id not in fake.templates:
                return fake.error(400, 100, "Unsupported post request")
            fake.templates[template_id].update(await request.json())
            fake.templates[template_id]["status"] = "PENDING"
            return JSONResponse({"success": True})

        @app.post("/{version}/{sender_id}/messages")
        async def send(version: str, sender_id: str, request: Request) -> Response:
            if fake.tokens.get(fake._token(request) or "") is None or sender_id not in fake.assets:
                return fake.error(401, 190, "Invalid OAuth access token")
            if fake.faults[sender_id]:
                status, body = fake.faults[sender_id].popleft()
                if body is None:
                    raise ConnectionResetError("scripted network failure")
                return JSONResponse(body, status_code=status)
            payload = await request.json()
            asset = fake.assets[sender_id]
            if asset["channel"] == "whatsapp":
                return JSONResponse({"messaging_product": "whatsapp",
                                     "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                                     "messages": [{"id": f"wamid.{next(fake._ids)}"}]})
            return JSONResponse({"recipient_id": payload["recipient"]["id"], "message_id": f"m_{next(fake._ids)}"})

        @app.api_route("/{version}/{object_id}/subscribed_apps", methods=["POST", "DELETE"])
        async def subscribed(version: str, object_id: str, request: Request) -> Response:
            if fake.tokens.get(fake._token(request) or "") is None:
                return fake.error(400, 190, "Invalid OAuth access token")
            if request.method == "POST":
                fake.subscriptions.add(object_id)
            else:
                fake.subscriptions.discard(object_id)
            return JSONResponse({"success": True})

        @app.get("/{version}/{object_id}")
        async def get_object(version: str, object_id: str, request: Request) -> Response:
            if fake.tokens.get(fake._token(request) or "") is None:
                return fake.error(400, 190, "Invalid OAuth access token")
            if object_id in fake.media:
                return JSONResponse({"id": object_id, "url": f"http://fake-meta/_cdn/files/{object_id}",
                                     "mime_type": fake.media[object_id][1],
                                     "file_size": len(fake.media[object_id][0])})
            if object_id in fake.profiles:
                return JSONResponse(fake.profiles[object_id])
            asset = fake.assets.get(object_id)
            if asset is None:
                return fake.error(400, 100, "Unsupported get request")
            return JSONResponse({k: v for k, v in asset.items() if k not in ("token", "channel", "waba_id")})

        @app.get("/_cdn/files/{media_id}")
        async def cdn(media_id: str) -> Response:
            if media_id not in fake.media:
                return Response(status_code=404)
            content, mime = fake.media[media_id]
            return Response(content, media_type=mime)

        return app


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def wa_text(phone_number_id: str, sender: str, text: str, *, name: str = "John Doe", mid: str = "wamid.IN1",
            waba_id: str = "2001", timestamp: int = 1736937000) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [{"from": sender, "id": mid, "timestamp": str(timestamp), "type": "text",
                      "text": {"body": text}}]}}]}]}


def wa_message(phone_number_id: str, message: dict[str, Any], *, name: str = "John Doe") -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "2001", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550100",
                                                       "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": message["from"]}], "messages": [message]}}]}]}


def wa_status(phone_number_id: str, wamid: str, status: str, recipient: str = "15551234",
              errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": "1736937010", "recipient_id": recipient}
    if errors:
        item["errors"] = errors
    return {"object": "whatsapp_business_account", "entry": [{"id": "2001", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550100",
                                                       "phone_number_id": phone_number_id},
        "statuses": [item]}}]}]}


def page_text(kind: str, asset_id: str, sender: str, text: str, mid: str = "m_IN1") -> dict[str, Any]:
    return {"object": kind, "entry": [{"id": asset_id, "time": 1736937000000, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": asset_id}, "timestamp": 1736937000000,
         "message": {"mid": mid, "text": text}}]}]}


def page_event(kind: str, asset_id: str, sender: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"object": kind, "entry": [{"id": asset_id, "time": 1736937000000, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": asset_id}, "timestamp": 1736937000000, **event}]}]}


class FakeMetaTransport:
    """ASGI transport to the fake, turning scripted ``None`` faults into real httpx network errors."""

    def __new__(cls, fake: FakeMeta):
        import httpx

        inner = httpx.ASGITransport(app=fake.app)

        class _Transport(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                parts = request.url.path.split("/")
                if request.method == "POST" and len(parts) == 4 and parts[3] == "messages":
                    queue = fake.faults[parts[2]]
                    if queue and queue[0][1] is None:
                        status, _ = queue.popleft()
                        fake.journal.append({"method": "POST", "path": request.url.path, "status": None,
                                             "json": json.loads(request.content or b"null")})
                        if status == 0:
                            raise httpx.ReadTimeout("scripted timeout", request=request)
                        raise httpx.ConnectError("scripted connection failure", request=request)
                return await inner.handle_async_request(request)

        return _Transport()
