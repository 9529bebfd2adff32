"""Meta's webhooks: payload builders for the three channels, signing, and delivery to the target.

Payloads are serialised as ASCII-escaped compact JSON (as Meta signs its escaped form) and signed with
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, exact bytes)>``; the legacy SHA-1 header is
sent too. Delivery is one attempt; the result (status, body or transport error) is returned to the
caller and kept in the world's delivery log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import weakref
from typing import Any

import httpx

from simulator.world import Asset


def serialize(payload: Any) -> bytes:
    """Meta's bytes for a payload: compact ASCII JSON; bytes are sent as they are (a body that is no JSON)."""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature_256(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_1(body: bytes, secret: str) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]" = weakref.WeakKeyDictionary()


def _client_for_loop() -> httpx.AsyncClient:
    """One pooled client per event loop: creating a client (and its SSL context) per webhook is slow."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(verify=False, follow_redirects=False,
                                   limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))
        _clients[loop] = client
    return client


async def deliver(url: str | None, payload: Any, secret: str, timeout: float,
                  *, signature: str | None = "valid") -> dict[str, Any]:
    """POST ``payload`` to ``url``; never raises. ``signature``: valid | wrong | missing."""
    body = serialize(payload)
    result: dict[str, Any] = {"url": url, "status": None, "body": None, "error": None,
                              "payload": payload, "sent_at": time.time()}
    if not url:
        result["error"] = "no target_webhook_url configured (PUT /_sim/app)"
        return result
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
    if signature == "valid":
        headers["X-Hub-Signature-256"] = signature_256(body, secret)
        headers["X-Hub-Signature"] = signature_1(body, secret)
    elif signature == "wrong":
        headers["X-Hub-Signature-256"] = signature_256(body, secret + "-wrong")
        headers["X-Hub-Signature"] = signature_1(body, secret + "-wrong")
    try:
        response = await _client_for_loop().post(url, content=body, headers=headers, timeout=timeout)
        result["status"] = response.status_code
        result["body"] = response.text[:10_000]
    except httpx.HTTPError as exc:
        result["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - an invalid URL and the like must not break the caller
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


# ---- payload builders -------------------------------------------------------------------------------

def whatsapp_envelope(asset: Asset, value: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": asset.display_phone_number,
                          "phone_number_id": asset.phone_number_id},
             **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": asset.waba_id, "changes": [{"value": value, "field": field}]}]}


def whatsapp_message(asset: Asset, sender: str, sender_name: str | None, message: dict[str, Any]) -> dict[str, Any]:
    contact = {"profile": {"name": sender_name if sender_name is not None else ""}, "wa_id": sender}
    return whatsapp_envelope(asset, {"contacts": [contact], "messages": [message]})


def whatsapp_status(asset: Asset, status: dict[str, Any]) -> dict[str, Any]:
    return whatsapp_envelope(asset, {"statuses": [status]})


def messaging_envelope(asset: Asset, event: dict[str, Any], now: float) -> dict[str, Any]:
    """Messenger (``page``) and Instagram (``instagram``) share the entry[].messaging[] shape."""
    obj = "page" if asset.channel == "facebook" else "instagram"
    return {"object": obj, "entry": [{"time": int(now * 1000), "id": asset.asset_id, "messaging": [event]}]}


def messaging_message(asset: Asset, sender: str, message: dict[str, Any], now: float) -> dict[str, Any]:
    event = {"sender": {"id": sender}, "recipient": {"id": asset.asset_id}, "timestamp": int(now * 1000),
             "message": message}
    return messaging_envelope(asset, event, now)


def template_status_update(waba_id: str, template: Any, event: str, reason: str | None, now: float) -> dict[str, Any]:
    value = {"event": event, "message_template_id": int(template.id), "message_template_name": template.name,
             "message_template_language": template.language, "reason": reason,
             "message_template_category": template.category}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "time": int(now),
                       "changes": [{"value": value, "field": "message_template_status_update"}]}]}
