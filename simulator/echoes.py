"""Echoes of messages the business sent OUTSIDE the target (profile fiwano-2026-10, ``message.echo``).

What Meta sends when the business answers a user from elsewhere than the target's API:

* WhatsApp (a number on the Business app and Cloud API, "coexistence"): field ``smb_message_echoes``,
  ``value.message_echoes[]`` with ``from`` (the business number), ``to`` (the user), ``id``, ``timestamp``,
  ``type`` and the content under the type's name. Cloud API sends are not echoed there.
* Messenger / Instagram: a ``messaging[]`` event with ``sender`` = the Page / Instagram account,
  ``recipient`` = the user and ``message.is_echo: true``; Messenger adds ``app_id``, the app that sent it
  (here the Page inbox's, not the target's app). Meta echoes the target's own sends too: those are asked
  for with ``POST /_sim/worlds/{id}/statuses`` status ``echo`` (simulator/statuses.py).

The echoed message is remembered (kind ``echo``) so that its delivered / read statuses can be asked for
like those of any sent message; it is not listed among what Meta accepted from the target.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator import events, ids, webhooks
from simulator.world import Store, World, sent_message

#: the app Meta names in a Messenger echo of a message written in the Page inbox / Business Suite
PAGE_INBOX_APP_ID = 263902037430900


class EchoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    asset_id: str
    to: str = Field(min_length=1, max_length=64)  # the user the business wrote to
    text: str = Field(min_length=1, max_length=4096)
    context: dict[str, Any] | None = None  # the echoed message replies to this one ({"id"/"message_id": ...})
    signature: Literal["valid", "wrong", "missing"] = "valid"
    copies: int = Field(default=1, ge=1, le=10)


class EchoError(ValueError):
    """The request cannot be turned into an echo (answered with 400)."""


def build(store: Store, world: World, req: EchoRequest) -> dict[str, Any]:
    asset = next((a for a in world.assets if a.asset_id == req.asset_id), None)
    if asset is None:
        raise LookupError(f"no asset {req.asset_id!r} in world {world.world_id}")
    now = world.clock.now()
    if asset.channel == "whatsapp":
        to = req.to.lstrip("+")
        if not to.isdigit():
            raise EchoError("for WhatsApp, 'to' must be a phone number in digits (wa_id)")
        message_id = ids.wamid(to)
        echo: dict[str, Any] = {"from": asset.display_phone_number, "to": to, "id": message_id,
                                "timestamp": str(int(now)), "type": "text", "text": {"body": req.text}}
        if req.context and req.context.get("id"):
            echo["context"] = {"id": req.context["id"]}
        payload = webhooks.whatsapp_envelope(asset, {"message_echoes": [echo]}, field="smb_message_echoes")
        sent_payload: dict[str, Any] = {"messaging_product": "whatsapp", "to": to, "type": "text",
                                        "text": {"body": req.text}}
    else:
        to = req.to
        message_id = ids.messenger_mid() if asset.channel == "facebook" else ids.instagram_mid(asset.asset_id)
        message: dict[str, Any] = {"mid": message_id, "is_echo": True, "text": req.text}
        if asset.channel == "facebook":
            message["app_id"] = PAGE_INBOX_APP_ID
        if req.context and req.context.get("message_id"):
            message["reply_to"] = {"mid": req.context["message_id"]}
        event = {"sender": {"id": asset.asset_id}, "recipient": {"id": to}, "timestamp": int(now * 1000),
                 "message": message}
        payload = webhooks.messaging_envelope(asset, event, now)
        sent_payload = {"recipient": {"id": to}, "message": {"text": req.text}}
    with store.lock:
        world.messages[message_id] = sent_message(message_id=message_id, asset_id=asset.asset_id,
                                                  channel=asset.channel, recipient=to, kind="echo",
                                                  payload=sent_payload, sent_at=now)
    return {"message_id": message_id, "payload": payload}


async def emit(store: Store, world: World, req: EchoRequest) -> dict[str, Any]:
    built = build(store, world, req)
    result = await events.emit(store, world, built["payload"], signature=req.signature)
    for _ in range(req.copies - 1):  # Meta may deliver the same echo more than once
        result = await events.emit(store, world, built["payload"], signature=req.signature)
    return {"message_id": built["message_id"], "delivery": events.public_delivery(result),
            "payload": built["payload"]}
