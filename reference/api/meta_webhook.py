"""Meta's webhook endpoint: verification handshake and signed event delivery."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from reference.api.common import components
from reference.bodylimit import MAX_META_BODY_BYTES

log = logging.getLogger("reference.meta_webhook")
router = APIRouter(prefix="/meta")
MAX_META_BODY = MAX_META_BODY_BYTES  # also enforced before the body is read (reference.bodylimit)


@router.get("/webhook")
async def verify(request: Request) -> Response:
    params = request.query_params
    expected = components(request).settings.meta_verify_token
    if (params.get("hub.mode") == "subscribe" and expected and params.get("hub.verify_token") == expected
            and params.get("hub.challenge") is not None):
        return PlainTextResponse(params["hub.challenge"])
    return JSONResponse({"detail": "Webhook verification failed"}, status_code=403)


@router.post("/webhook")
async def receive(request: Request) -> Response:
    comps = components(request)
    raw = await request.body()
    if len(raw) > MAX_META_BODY:
        return JSONResponse({"detail": "Payload too large"}, status_code=413)
    if not comps.meta_verifier.verify(raw, request.headers.get("x-hub-signature-256")):
        return JSONResponse({"detail": "Invalid or missing X-Hub-Signature-256"}, status_code=401)
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return JSONResponse({"detail": "Malformed JSON body"}, status_code=400)
    media_jobs = comps.inbound.handle(payload)
    for channel, message, item in media_jobs:
        comps.background.spawn(comps.inbound.complete_media(channel, message, item))
    return PlainTextResponse("EVENT_RECEIVED")
