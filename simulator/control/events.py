"""Control API, part 2: what Meta sends — inbound messages, statuses, raw webhooks — and what it got."""

from __future__ import annotations

import base64
import secrets
from typing import Any, Literal

import httpx
from fastapi import HTTPException, Query, Request
from pydantic import model_validator

from simulator import echoes, events, hostile, inbound, statuses
from simulator.control.common import Body, base_url, new_router, store_of, world_of


router = new_router()


class RawWebhook(Body):
    """Any payload (odd shapes), or ``body_base64``: bytes that need not be JSON at all (a truncated batch,
    invalid UTF-8), signed like Meta signs what it sends. Exactly one of the two."""

    payload: dict[str, Any] | None = None
    body_base64: str | None = None
    signature: Literal["valid", "wrong", "missing"] = "valid"

    @model_validator(mode="after")
    def _one_body(self) -> "RawWebhook":
        if (self.payload is None) == (self.body_base64 is None):
            raise ValueError("give exactly one of payload and body_base64")
        if self.body_base64 is not None:
            try:
                base64.b64decode(self.body_base64, validate=True)
            except ValueError as exc:
                raise ValueError(f"body_base64 is not base64: {exc}") from exc
        return self



class VerifyRequest(Body):
    url: str | None = None
    verify_token: str | None = None
    challenge: str | None = None



# ---- inbound, statuses, raw webhooks ----------------------------------------------------------------

@router.post("/worlds/{world_id}/inbound")
async def emit_inbound(world_id: str, body: inbound.InboundRequest, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    try:
        return await inbound.emit_inbound(store_of(request), world, body, base_url(request))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except inbound.InboundError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.post("/worlds/{world_id}/echoes")
async def emit_echo(world_id: str, body: echoes.EchoRequest, request: Request) -> dict[str, Any]:
    """A message the business sent outside the target, echoed by Meta (simulator/echoes.py)."""
    world = world_of(request, world_id)
    try:
        return await echoes.emit(store_of(request), world, body)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except echoes.EchoError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.post("/worlds/{world_id}/statuses")
async def emit_status(world_id: str, body: statuses.StatusRequest, request: Request) -> dict[str, Any]:
    store, world = store_of(request), world_of(request, world_id)
    try:
        payload = statuses.build(store, world, body)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except statuses.StatusError as exc:
        raise HTTPException(400, str(exc)) from exc
    result = None
    for _ in range(body.copies):
        result = await events.emit(store, world, payload, signature=body.signature)
    return {"message_id": body.message_id, "delivery": events.public_delivery(result), "payload": payload}


@router.post("/worlds/{world_id}/webhooks")
async def emit_raw(world_id: str, body: RawWebhook, request: Request) -> dict[str, Any]:
    store, world = store_of(request), world_of(request, world_id)
    payload: dict[str, Any] | bytes = (body.payload if body.payload is not None
                                       else base64.b64decode(body.body_base64 or ""))
    result = await events.emit(store, world, payload, signature=body.signature)
    if isinstance(payload, bytes):  # the delivery log stays JSON
        result["payload"] = {"body_base64": body.body_base64, "bytes": len(payload)}
    return {"delivery": events.public_delivery(result)}


@router.post("/worlds/{world_id}/hostile-webhooks")
async def emit_hostile(world_id: str, body: hostile.HostileRequest, request: Request) -> dict[str, Any]:
    """One signed batch of two ordinary text messages around one hostile entry (simulator/hostile.py)."""
    world = world_of(request, world_id)
    try:
        return await hostile.emit(store_of(request), world, body, base_url(request))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except inbound.InboundError as exc:
        raise HTTPException(400, str(exc)) from exc


@router.get("/worlds/{world_id}/deliveries")
async def deliveries(world_id: str, request: Request, since_seq: int | None = Query(default=None)) -> dict[str, Any]:
    world = world_of(request, world_id)
    with store_of(request).lock:
        items = [d for d in world.deliveries if since_seq is None or d["seq"] > since_seq]
    return {"deliveries": items}


@router.get("/worlds/{world_id}/messages")
async def sent_messages(world_id: str, request: Request) -> dict[str, Any]:
    """What Meta accepted from the target (one entry per message id), in send order."""
    world = world_of(request, world_id)
    with store_of(request).lock:
        items = [{"message_id": m.message_id, "asset_id": m.asset_id, "channel": m.channel,
                  "recipient": m.recipient, "type": m.kind, "payload": m.payload, "sent_at": m.sent_at,
                  "statuses": list(m.statuses)} for m in world.sent_messages() if m.kind != "echo"]
    return {"messages": items}



# ---- webhook verification handshake -----------------------------------------------------------------

@router.post("/verify-webhook")
async def verify_webhook(body: VerifyRequest, request: Request) -> dict[str, Any]:
    """Do Meta's GET handshake against the target; report whether it echoed the challenge."""
    store = store_of(request)
    with store.lock:
        url = body.url or store.app["target_webhook_url"]
        token = body.verify_token if body.verify_token is not None else store.app["verify_token"]
    if not url:
        raise HTTPException(400, "no url given and no target_webhook_url configured")
    challenge = body.challenge or str(secrets.randbelow(9 * 10**9) + 10**9)
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token}
    try:
        async with httpx.AsyncClient(timeout=store.settings.webhook_timeout_seconds, verify=False) as client:
            response = await client.get(url, params=params)
    except Exception as exc:  # noqa: BLE001 - connection errors, bad URLs: a report, not a 500
        return {"url": url, "challenge": challenge, "status": None, "body": None, "verified": False,
                "error": f"{type(exc).__name__}: {exc}"}
    return {"url": url, "challenge": challenge, "status": response.status_code, "body": response.text[:2000],
            "verified": response.status_code == 200 and response.text.strip() == challenge, "error": None}
