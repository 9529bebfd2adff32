"""Messenger Send API (``POST /{page-id}/messages``) and the send logic Instagram shares with it.

Both take ``{recipient:{id}, message:{text}|{attachment}, messaging_type?}`` as JSON or as form fields
holding JSON, and answer ``{recipient_id, message_id}``. They differ in the text limit (2000 vs 1000),
the id format and the error subcodes, which a ``Rules`` value carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from simulator import ids
from simulator.errors import GraphError, invalid
from simulator.graph import cdn
from simulator.graph.context import GraphCall, GraphResult
from simulator.graph.params import optional_bool, require_dict, text_length
from simulator.world import Asset, sent_message

HUMAN_AGENT_WINDOW = 7 * 24 * 3600

#: Meta's error_subcode (code 10) for a send into a conversation another app controls (handover protocol)
STANDBY_SUBCODE = 2018300


@dataclass(frozen=True)
class Rules:
    channel: str
    text_limit: int
    window_subcode: int
    no_user_subcode: int
    attachment_types: tuple[str, ...]
    make_mid: Callable[[Asset], str]
    #: Messenger's Sticker API (Meta's Messenger changelog, 1 June 2026): ``message: {sticker_id: <catalog id>}``
    stickers: bool = False


MESSENGER = Rules("facebook", 2000, 2018278, 2018001, ("image", "audio", "video", "file", "template"),
                  lambda asset: ids.messenger_mid(), stickers=True)


def send(call: GraphCall, asset: Asset) -> GraphResult:
    return send_messaging(call, asset, MESSENGER)


def _recipient(params: dict[str, Any]) -> str:
    recipient = require_dict(params, "recipient")
    rid = recipient.get("id")
    if isinstance(rid, int) and not isinstance(rid, bool):
        rid = str(rid)
    if not isinstance(rid, str) or not rid:
        raise invalid("Param recipient[id] must be a non-empty string",
                      message="(#100) Param recipient[id] must be a non-empty string")
    return rid


def _attachment(call: GraphCall, rules: Rules, attachment: Any) -> dict[str, Any]:
    if not isinstance(attachment, dict):
        raise invalid("Param message[attachment] must be a JSON object")
    kind = attachment.get("type")
    if kind not in rules.attachment_types:
        raise invalid(f"Param message[attachment][type] must be one of {', '.join(rules.attachment_types)}")
    payload = attachment.get("payload")
    if not isinstance(payload, dict):
        raise invalid("Param message[attachment][payload] must be a JSON object")
    url = payload.get("url")
    if url is not None:
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            raise invalid("Param message[attachment][payload][url] must be a valid http(s) URL")
        entry = cdn.lookup(call.world, url)
        fetchable = entry.fetchable if entry is not None else bool(call.world.options.get("cdn_default_fetchable"))
        if not fetchable:
            # UNCONFIRMED: subcode 2018008 is what integrators report for unreachable attachment URLs.
            raise GraphError(100, "(#100) Failed to fetch the file from the url", subcode=2018008,
                             details="The attachment URL could not be fetched")
    elif kind != "template" and not isinstance(payload.get("attachment_id"), str):
        raise invalid("Param message[attachment][payload] needs a url or an attachment_id")
    optional_bool(payload, "is_reusable", "message[attachment][payload][is_reusable]")
    return attachment


def send_messaging(call: GraphCall, asset: Asset, rules: Rules) -> GraphResult:
    params = call.params
    world = call.world
    rid = _recipient(params)
    sender_action = params.get("sender_action")
    message = params.get("message")
    if sender_action is not None:
        if message is not None:
            raise invalid("sender_action cannot be combined with message",
                          message="(#100) sender_action cannot be sent with message")
        if sender_action not in ("typing_on", "typing_off", "mark_seen", "react", "unreact"):
            raise invalid("Param sender_action must be one of typing_on, typing_off, mark_seen")
        return GraphResult({"recipient_id": rid})
    message = require_dict(params, "message")
    messaging_type = params.get("messaging_type")
    if messaging_type is not None and messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        raise invalid("Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG")
    tag = params.get("tag")
    if messaging_type == "MESSAGE_TAG" and not isinstance(tag, str):
        raise invalid("Param tag is required when messaging_type is MESSAGE_TAG")
    text, attachment = message.get("text"), message.get("attachment")
    sticker_id = message.get("sticker_id") if rules.stickers else None
    if [text, attachment, sticker_id].count(None) != 2:
        one_of = "message[text], message[attachment] or message[sticker_id]" if rules.stickers else \
            "message[text] or message[attachment]"
        raise invalid(f"Exactly one of {one_of} is required", message=f"(#100) Exactly one of {one_of} is required")
    if sticker_id is not None:
        if isinstance(sticker_id, bool) or not (isinstance(sticker_id, int) and sticker_id > 0
                                                or isinstance(sticker_id, str) and sticker_id.isdigit()):
            raise invalid("Param message[sticker_id] must be a sticker id of the catalog (a positive integer)",
                          message="(#100) Param message[sticker_id] must be a positive integer")
        kind = "sticker"
    elif text is not None:
        if not isinstance(text, str):
            raise invalid("Param message[text] must be a UTF-8 string",
                          message="(#100) Param message[text] must be a UTF-8 string")
        if not text:
            raise invalid("Param message[text] must be non-empty")
        if text_length(text, world.options.get("text_length_unit")) > rules.text_limit:
            raise invalid(f"Length of param message[text] must be less than or equal to {rules.text_limit}",
                          message=f"(#100) Length of param message[text] must be less than or equal to "
                                  f"{rules.text_limit}")
        kind = "text"
    else:
        kind = _attachment(call, rules, attachment)["type"]

    if (asset.asset_id, rid) in world.standby_threads:  # another app holds the thread (handover protocol)
        raise GraphError(10, "(#10) Message failed to send because another app is controlling this thread now.",
                         subcode=STANDBY_SUBCODE)
    if world.options.get("enforce_window"):
        last = world.last_inbound.get((asset.asset_id, rid))
        allowed = HUMAN_AGENT_WINDOW if (messaging_type == "MESSAGE_TAG" and tag == "HUMAN_AGENT") else 24 * 3600
        if last is None or call.now() - last >= allowed:
            raise GraphError(10, "(#10) This message is sent outside of allowed window.",
                             subcode=rules.window_subcode)

    message_id = rules.make_mid(asset)
    with call.store.lock:
        world.messages[message_id] = sent_message(message_id=message_id, asset_id=asset.asset_id,
                                                  channel=rules.channel, recipient=rid, kind=kind,
                                                  payload=params, sent_at=call.now())
    body: dict[str, Any] = {"recipient_id": rid, "message_id": message_id}
    if attachment is not None and isinstance(attachment.get("payload"), dict) and \
            attachment["payload"].get("is_reusable") in (True, "true"):
        body["attachment_id"] = ids.media_id()
    return GraphResult(body)
