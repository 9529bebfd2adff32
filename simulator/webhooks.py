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

import aiohttp

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


_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = weakref.WeakKeyDictionary()


def _session_for_loop() -> aiohttp.ClientSession:
    """One pooled session per event loop (kept-alive connections to the target, like Meta's).

    aiohttp, not httpx: at 200 inbound messages a second httpx's client and connection pool took half of the
    simulator's CPU (py-spy, docs/benchmarks.md issue 17), several times what aiohttp's takes per request.
    """
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200, limit_per_host=200, ssl=False),
            skip_auto_headers=("User-Agent",), trust_env=False)
        _sessions[loop] = session
    return session


async def close_session() -> None:
    """Close this loop's session (the app's shutdown): its kept-alive connections go with it."""
    try:
        session = _sessions.pop(asyncio.get_running_loop(), None)
    except RuntimeError:
        return
    if session is not None and not session.closed:
        await session.close()


# what httpx called the same failures (the delivery log and the tests read these names)
_ERROR_NAMES: tuple[tuple[type[BaseException], str], ...] = (
    (aiohttp.ClientConnectorError, "ConnectError"),
    (aiohttp.ServerTimeoutError, "ReadTimeout"),
    (asyncio.TimeoutError, "ReadTimeout"),
    (aiohttp.ServerDisconnectedError, "RemoteProtocolError"),
    (aiohttp.ClientPayloadError, "RemoteProtocolError"),
    (aiohttp.InvalidURL, "InvalidURL"),
)


def _error_text(exc: BaseException) -> str:
    name = next((label for kind, label in _ERROR_NAMES if isinstance(exc, kind)), type(exc).__name__)
    return f"{name}: {exc}" if str(exc) else name


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
        async with _session_for_loop().post(url, data=body, headers=headers, allow_redirects=False,
                                            timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            content = await response.read()
            result["status"] = response.status
            result["body"] = content.decode(response.charset or "utf-8", errors="replace")[:10_000]
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        result["error"] = _error_text(exc)
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
