"""WhatsApp Cloud API: ``POST /{phone-number-id}/messages`` for every message type Fiwano sends.

Validation mirrors Meta's synchronous checks (code 100 on bad parameters, 4096-character text); the
24-hour window (131047) and unfetchable media links (131053) fail *asynchronously* by default — the
send gets a wamid and a ``failed`` status webhook follows — because that is what Meta does in practice
(meta-facts.md §1.1.2). Both can be switched to synchronous per world.
"""

from __future__ import annotations

import re
from typing import Any

from simulator import ids, webhooks
from simulator.errors import GraphError, invalid, webhook_error
from simulator.graph import cdn, templates
from simulator.graph.context import GraphCall, GraphResult
from simulator.graph.params import optional_str, require_str, text_length
from simulator.world import Asset, sent_message

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024  # UNCONFIRMED (Fiwano docs' figure)
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
MEDIA_LIMITS = {"image": 5 * 2**20, "audio": 16 * 2**20, "video": 16 * 2**20, "document": 100 * 2**20,
                "sticker": 500 * 2**10}
MEDIA_MIME = {"image": ("image/jpeg", "image/png"),
              "audio": ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"),
              "video": ("video/mp4", "video/3gpp"),
              "sticker": ("image/webp",),
              "document": None}
_TO_STRIP = re.compile(r"[\s\-().]")
WINDOW_DETAILS = ("Message failed to send because more than 24 hours have passed since the customer last "
                  "replied to this number.")


def normalize_recipient(raw: str) -> str:
    if raw.isdigit() and 5 <= len(raw) <= 15:  # already normalised (the usual case): nothing to strip
        return raw
    digits = _TO_STRIP.sub("", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit() or not 5 <= len(digits) <= 15:
        raise GraphError(100, "(#100) Invalid parameter",
                         details=f"Invalid WhatsApp recipient (to): {raw!r} is not a phone number")
    return digits


def _text(call: GraphCall, params: dict[str, Any]) -> dict[str, Any]:
    text = params.get("text")
    if not isinstance(text, dict):
        raise invalid("Param text must be a JSON object with a body", message="(#100) Param text must be a JSON object")
    body = require_str(text, "body", "text['body']")
    if text_length(body, call.world.options.get("text_length_unit")) > TEXT_LIMIT:
        raise invalid(f"Param text['body'] must be at most {TEXT_LIMIT} characters long.")
    if "preview_url" in text and not isinstance(text["preview_url"], bool):
        raise invalid("Param text['preview_url'] must be a boolean")
    return {"body": body}


def _media(call: GraphCall, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    obj = params.get(kind)
    if not isinstance(obj, dict):
        raise invalid(f"Param {kind} must be a JSON object", message=f"(#100) Param {kind} must be a JSON object")
    link, media_id = obj.get("link"), obj.get("id")
    if (link is None) == (media_id is None):
        raise GraphError(131008, "(#131008) Required parameter is missing",
                         details=f"Exactly one of {kind}['link'] or {kind}['id'] is required")
    if link is not None and (not isinstance(link, str) or not re.match(r"^https?://[^\s/]+", link)):
        raise invalid(f"Param {kind}['link'] must be a valid http(s) URL")
    if media_id is not None and (not isinstance(media_id, str) or media_id not in call.world.media):
        raise invalid(f"Param {kind}['id'] is not a valid media id")
    caption = optional_str(obj, "caption", f"{kind}['caption']")
    if caption is not None:
        if kind in ("audio", "sticker"):
            raise invalid(f"Param {kind}['caption'] is not supported for {kind}")
        if len(caption) > CAPTION_LIMIT:
            raise invalid(f"Param {kind}['caption'] must be at most {CAPTION_LIMIT} characters long.")
    filename = optional_str(obj, "filename", f"{kind}['filename']")
    if filename is not None and kind != "document":
        raise invalid(f"Param {kind}['filename'] is only supported for documents")
    out = {k: v for k, v in (("link", link), ("id", media_id), ("caption", caption), ("filename", filename))
           if v is not None}
    return out


def _media_failure(call: GraphCall, kind: str, content: dict[str, Any]) -> str | None:
    """Why Meta could not fetch/accept the linked media, or None when it could."""
    link = content.get("link")
    if link is None:
        return None
    entry = cdn.lookup(call.world, link)
    if entry is None:
        return None if call.world.options.get("cdn_default_fetchable") else \
            "Media upload error: the media could not be downloaded from the link (URL not fetchable)"
    if not entry.fetchable:
        return f"Media upload error: downloading the link failed (HTTP {entry.error_code or 404})"
    allowed = MEDIA_MIME.get(kind)
    ctype = (entry.content_type or "").split(";")[0].strip().lower()
    if allowed is not None and ctype and ctype not in allowed:
        return f"Media upload error: unsupported {kind} MIME type {ctype!r}"
    if entry.size is not None and entry.size > MEDIA_LIMITS[kind]:
        return f"Media file size too big. Max file size we currently support: {MEDIA_LIMITS[kind]} bytes"
    return None


def _simple(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    obj = params.get(kind)
    if kind == "contacts":
        if not isinstance(obj, list) or not obj or not all(isinstance(c, dict) for c in obj):
            raise invalid("Param contacts must be a non-empty array of contact objects")
        return {"contacts": obj}
    if not isinstance(obj, dict):
        raise invalid(f"Param {kind} must be a JSON object", message=f"(#100) Param {kind} must be a JSON object")
    if kind == "location":
        for key in ("latitude", "longitude"):
            if not isinstance(obj.get(key), (int, float)) or isinstance(obj.get(key), bool):
                raise invalid(f"Param location['{key}'] must be a number")
    elif kind == "reaction":
        require_str(obj, "message_id", "reaction['message_id']")
        if "emoji" in obj and not isinstance(obj["emoji"], str):
            raise invalid("Param reaction['emoji'] must be a string")
    elif kind == "interactive":
        require_str(obj, "type", "interactive['type']")
        if not isinstance(obj.get("action"), dict):
            raise invalid("Param interactive['action'] must be a JSON object")
    return obj


def send(call: GraphCall, asset: Asset) -> GraphResult:
    params = call.params
    world = call.world
    product = params.get("messaging_product")
    if product is None:
        raise GraphError(100, "(#100) The parameter messaging_product is required.",
                         details="Parameter messaging_product is required")
    if product != "whatsapp":
        raise invalid("Param messaging_product must be 'whatsapp'")
    if "status" in params:
        return _mark_read(call, params)
    to_raw = params.get("to")
    if to_raw is None:
        raise GraphError(100, "(#100) The parameter to is required.", details="Parameter to is required")
    if not isinstance(to_raw, str):
        raise invalid("Param to must be a string", message="(#100) Param to must be a string")
    wa_id = normalize_recipient(to_raw)
    kind = params.get("type", "text")
    if not isinstance(kind, str):
        raise invalid("Param type must be a string")
    recipient_type = params.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        raise invalid("Param recipient_type must be one of {individual, group}")
    context = params.get("context")
    if context is not None and (not isinstance(context, dict) or not isinstance(context.get("message_id"), str)):
        raise invalid("Param context must be an object with a message_id string")
    biz_data = optional_str(params, "biz_opaque_callback_data")

    failure: tuple[int, str] | None = None
    if kind == "text":
        content = _text(call, params)
    elif kind in MEDIA_TYPES:
        content = _media(call, kind, params)
        reason = _media_failure(call, kind, content)
        if reason:
            failure = (131053, reason)
    elif kind == "template":
        content = templates.validate_send(call, asset, params)
    elif kind in ("location", "contacts", "reaction", "interactive"):
        content = _simple(kind, params)
    else:
        raise invalid(f"Param type must be one of text, image, audio, video, document, sticker, template, "
                      f"location, contacts, reaction, interactive; got {kind!r}")

    now = call.now()
    if kind != "template" and world.options.get("enforce_window") and not world.window_open(asset.asset_id, wa_id):
        failure = (131047, WINDOW_DETAILS)
    if failure is not None:
        mode_key = "whatsapp_window_error" if failure[0] == 131047 else "whatsapp_media_error"
        if world.options.get(mode_key) == "sync":
            raise GraphError(failure[0], details=failure[1])

    message_id = ids.wamid(wa_id)
    with call.store.lock:
        world.messages[message_id] = sent_message(message_id=message_id, asset_id=asset.asset_id,
                                                  channel="whatsapp", recipient=wa_id, kind=kind,
                                                  payload=params, sent_at=now, biz_opaque_callback_data=biz_data)
    body: dict[str, Any] = {"messaging_product": "whatsapp", "contacts": [{"input": to_raw, "wa_id": wa_id}],
                            "messages": [{"id": message_id}]}
    if kind == "template":
        body["messages"][0]["message_status"] = "accepted"
    result = GraphResult(body)
    if failure is not None:
        status = failed_status(message_id, wa_id, now, failure[0], failure[1], biz_data)
        with call.store.lock:
            world.add_status(message_id, "failed")
        result.webhooks.append((call.store.settings.async_status_delay_seconds,
                                webhooks.whatsapp_status(asset, status)))
    return result


def failed_status(message_id: str, wa_id: str, now: float, code: int, details: str,
                  biz_data: str | None = None, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status = {"id": message_id, "status": "failed", "timestamp": str(int(now)), "recipient_id": wa_id,
              "errors": errors or [webhook_error(code, details)]}
    if biz_data is not None:
        status["biz_opaque_callback_data"] = biz_data
    return status


def _mark_read(call: GraphCall, params: dict[str, Any]) -> GraphResult:
    if params.get("status") != "read":
        raise invalid("Param status must be 'read'")
    require_str(params, "message_id")
    return GraphResult({"success": True})
