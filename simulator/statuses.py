"""Status webhooks a test asks for: WhatsApp statuses[], Messenger delivery/read, Instagram read.

Meta only sends what each channel has: WhatsApp sent/delivered/read/failed (+played); Messenger
delivery and read watermarks; Instagram read (``messaging_seen``, mid-based) and no delivery at all.
Asking for something a channel never sends is a 400, so a suite cannot test against a fiction.
``echo`` (Messenger/Instagram) sends the business's own message back with ``is_echo: true``, as Meta
does for every page/IG send; a target must not relay it as an inbound message.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator import webhooks
from simulator.errors import webhook_error
from simulator.world import Store, World


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: str
    status: Literal["sent", "delivered", "read", "failed", "played", "echo"]
    errors: list[dict[str, Any]] | None = None
    error_code: int | None = None          # shortcut for errors=[Meta's object for this code]
    timestamp: float | None = None         # default: the world's virtual now
    signature: Literal["valid", "wrong", "missing"] = "valid"
    copies: int = Field(default=1, ge=1, le=10)


class StatusError(ValueError):
    pass


def build(store: Store, world: World, req: StatusRequest) -> dict[str, Any]:
    sent = world.sent(req.message_id)
    if sent is None:
        raise LookupError(f"no message {req.message_id!r} was sent in world {world.world_id}")
    asset = next(a for a in world.assets if a.asset_id == sent.asset_id)
    now = req.timestamp if req.timestamp is not None else world.clock.now()
    if req.status == "echo":
        if sent.channel == "whatsapp":
            raise StatusError("WhatsApp sends no echo webhooks (only Messenger and Instagram do)")
        message = {"mid": sent.message_id, "is_echo": True, "app_id": int(store.app["app_id"])
                   if str(store.app["app_id"]).isdigit() else store.app["app_id"]}
        sent_message = sent.payload.get("message") if isinstance(sent.payload.get("message"), dict) else {}
        if isinstance(sent_message.get("text"), str):
            message["text"] = sent_message["text"]
        elif isinstance(sent_message.get("attachment"), dict):
            message["attachments"] = [sent_message["attachment"]]
        event = {"sender": {"id": asset.asset_id}, "recipient": {"id": sent.recipient},
                 "timestamp": int(now * 1000), "message": message}
        payload = webhooks.messaging_envelope(asset, event, now)
    elif sent.channel == "whatsapp":
        status: dict[str, Any] = {"id": sent.message_id, "status": req.status, "timestamp": str(int(now)),
                                  "recipient_id": sent.recipient}
        if req.status == "sent":
            status["conversation"] = {"id": "c" + sent.message_id[-24:].encode().hex()[:31],
                                      "expiration_timestamp": str(int(now) + 86400),
                                      "origin": {"type": "service" if sent.kind != "template" else "utility"}}
            status["pricing"] = {"billable": sent.kind == "template", "pricing_model": "PMP",
                                 "type": "regular" if sent.kind == "template" else "free_customer_service",
                                 "category": "utility" if sent.kind == "template" else "service"}
        if req.status == "failed":
            errors = req.errors or [webhook_error(req.error_code or 131026,
                                                  "Message undeliverable" if not req.error_code else
                                                  f"Error {req.error_code}")]
            status["errors"] = errors
        if sent.biz_opaque_callback_data is not None:
            status["biz_opaque_callback_data"] = sent.biz_opaque_callback_data
        payload = webhooks.whatsapp_status(asset, status)
    elif sent.channel == "facebook":
        event: dict[str, Any] = {"sender": {"id": sent.recipient}, "recipient": {"id": asset.asset_id}}
        watermark = int(now * 1000)
        if req.status == "delivered":
            event["delivery"] = {"mids": [sent.message_id], "watermark": watermark}
        elif req.status == "read":
            event["timestamp"] = watermark
            event["read"] = {"watermark": watermark}
        else:
            raise StatusError(f"Messenger sends no {req.status!r} webhooks (only delivered and read)")
        payload = webhooks.messaging_envelope(asset, event, now)
    else:
        if req.status != "read":
            raise StatusError(f"Instagram sends no {req.status!r} webhooks (only read, as messaging_seen)")
        event = {"sender": {"id": sent.recipient}, "recipient": {"id": asset.asset_id},
                 "timestamp": int(now * 1000), "read": {"mid": sent.message_id}}
        payload = webhooks.messaging_envelope(asset, event, now)
    with store.lock:
        world.add_status(sent.message_id, req.status)
    return payload
