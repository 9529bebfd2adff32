"""Inbound user messages: build the channel's Meta webhook, remember what Meta would, send it.

An inbound message opens (renews) the 24-hour window for (asset, user), creates the user's profile
(Messenger/Instagram) and registers media bytes so the target can download them the way it would from
Meta: WhatsApp through ``GET /{media-id}`` + bearer download, Messenger/Instagram through a CDN URL.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator import events, ids, webhooks
from simulator.errors import webhook_error
from simulator.world import Asset, MediaItem, Store, World

MEDIA_KINDS = ("image", "audio", "voice", "video", "document", "sticker")
DEFAULT_MIME = {"image": "image/jpeg", "audio": "audio/mpeg", "voice": "audio/ogg; codecs=opus",
                "video": "video/mp4", "document": "application/pdf", "sticker": "image/webp"}
MESSAGING_ATTACHMENT = {"image": "image", "audio": "audio", "voice": "audio", "video": "video",
                        "document": "file", "sticker": "image"}


class InboundError(ValueError):
    """The request cannot be turned into a Meta webhook (answered with 400)."""


class MediaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_base64: str | None = None
    size: int | None = Field(default=None, ge=0, le=200 * 2**20)  # synthesise this many bytes instead
    mime_type: str | None = None
    filename: str | None = None
    delivery: Literal["normal", "chunked", "truncated", "endless", "redirect"] = "normal"
    redirect_url: str | None = None


class ShareSpec(BaseModel):
    """Instagram/Messenger: what the user shared (a post, a reel, or, Instagram only, a mention in their story)."""
    model_config = ConfigDict(extra="forbid")
    kind: Literal["post", "reel", "story_mention"] = "post"
    url: str | None = None       # default: a CDN URL of the simulator
    caption: str | None = None   # the post's / reel's caption (Meta's ``title``); story mentions have none


class ReferralSpec(BaseModel):
    """Where the conversation came from: an ad (Click-to-WhatsApp/Instagram/Messenger) or an m.me / ig.me link
    with ``ref`` (Instagram/Messenger only: a wa.me link carries no referral)."""
    model_config = ConfigDict(extra="forbid")
    source: Literal["ad", "link"] = "ad"
    ref: str | None = Field(default=None, max_length=2048)
    headline: str | None = None  # the ad's title (WhatsApp headline, Messenger/Instagram ads_context_data.ad_title)
    body: str | None = None      # WhatsApp: the ad's text
    image_url: str | None = None


class InboundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    asset_id: str
    sender: str = Field(alias="from", min_length=1, max_length=64)
    from_name: str | None = Field(default=None, max_length=256)
    type: Literal["text", "image", "audio", "voice", "video", "document", "sticker", "location", "contacts",
                  "reaction", "interactive", "unsupported", "share", "referral"] = "text"
    text: str | None = None
    caption: str | None = None
    media: MediaSpec | None = None
    location: dict[str, Any] | None = None
    contacts: list[dict[str, Any]] | None = None
    reaction: dict[str, Any] | None = None
    interactive: dict[str, Any] | None = None
    # WhatsApp "unsupported": the real content Meta names in unsupported.type (edit, poll_creation, ...)
    unsupported_type: str | None = Field(default=None, min_length=1, max_length=64)
    # Messenger/Instagram: the conversation is controlled by another app (Meta's handover protocol); the event
    # arrives under entry[].standby instead of entry[].messaging
    standby: bool = False
    # profile fiwano-2026-10: the conversation started from an ad or a link (Meta's referral object on the message);
    # type "referral" (Instagram/Messenger) is a click into an existing conversation without a message
    referral: ReferralSpec | None = None
    share: ShareSpec | None = None  # type "share" (Instagram/Messenger)
    story_reply: bool = False       # Instagram: the message answers the business's story (reply_to.story)
    context: dict[str, Any] | None = None
    media_error: bool = False  # WhatsApp: Meta could not download the user's media (131052 in messages[].errors)
    signature: Literal["valid", "wrong", "missing"] = "valid"
    copies: int = Field(default=1, ge=1, le=10)  # deliver the same webhook N times (Meta's duplicates)


def whatsapp_referral(spec: ReferralSpec) -> dict[str, Any]:
    """``messages[].referral`` of the first message after a Click-to-WhatsApp ad."""
    if spec.source != "ad":
        raise InboundError("WhatsApp sends a referral only for Click-to-WhatsApp ads (a wa.me link carries none)")
    source_id = ids.numeric_id("1202", 14)
    referral: dict[str, Any] = {"source_url": f"https://fb.me/{source_id}", "source_id": source_id,
                                "source_type": "ad", "media_type": "image",
                                "ctwa_clid": "ARA" + secrets.token_urlsafe(24)}
    if spec.headline is not None:
        referral["headline"] = spec.headline
    if spec.body is not None:
        referral["body"] = spec.body
    if spec.image_url is not None:
        referral["image_url"] = spec.image_url
    return referral


def page_referral(spec: ReferralSpec, channel: str) -> dict[str, Any]:
    """Messenger/Instagram ``referral``: an ad (``source: ADS`` with ``ads_context_data``) or a link with ``ref``."""
    referral: dict[str, Any] = {"type": "OPEN_THREAD"}
    if spec.ref is not None:
        referral["ref"] = spec.ref
    if spec.source == "ad":
        referral.update(source="ADS", ad_id=ids.numeric_id("1202", 14))
        context: dict[str, Any] = {"post_id": ids.numeric_id("1", 15)}
        if spec.headline is not None:
            context["ad_title"] = spec.headline
        if spec.image_url is not None:
            context["photo_url"] = spec.image_url
        referral["ads_context_data"] = context
    else:
        referral["source"] = "SHORTLINK" if channel == "facebook" else "IGME-SOURCE-LINK"
    return referral


def _share_attachment(spec: ShareSpec, channel: str, base_url: str) -> dict[str, Any]:
    """Instagram: ``ig_post`` / ``ig_reel`` / ``story_mention``; Messenger: ``share`` (a post) / ``reel``."""
    url = spec.url or f"{base_url}/cdn/share/{secrets.token_urlsafe(12)}"
    if spec.kind == "story_mention":
        if channel != "instagram":
            raise InboundError("story mentions exist only on Instagram")
        return {"type": "story_mention", "payload": {"url": url}}
    payload: dict[str, Any] = {"url": url}
    if spec.caption is not None:
        payload["title"] = spec.caption
    if spec.kind == "reel":
        payload["reel_video_id"] = ids.numeric_id("1", 16)
        return {"type": "ig_reel" if channel == "instagram" else "reel", "payload": payload}
    if channel == "instagram":
        payload["ig_post_media_id"] = ids.numeric_id("1", 17)
        return {"type": "ig_post", "payload": payload}
    return {"type": "share", "payload": payload}


def _register(store: Store, world: World, asset: Asset, spec: MediaSpec | None, kind: str) -> MediaItem:
    content, mime, filename = _media_bytes(spec, kind)
    item = register_media(store, world, asset, content, mime, filename)
    if spec is not None:
        item.delivery, item.redirect_url = spec.delivery, spec.redirect_url
    return item


def _media_bytes(spec: MediaSpec | None, kind: str) -> tuple[bytes, str, str | None]:
    spec = spec or MediaSpec()
    if spec.content_base64 is not None:
        try:
            content = base64.b64decode(spec.content_base64, validate=True)
        except (ValueError, TypeError) as exc:
            raise InboundError("media.content_base64 is not valid base64") from exc
    else:
        size = spec.size if spec.size is not None else 1024
        seed = secrets.token_bytes(32)
        content = (seed * (size // 32 + 1))[:size]
    return content, spec.mime_type or DEFAULT_MIME[kind], spec.filename


def register_media(store: Store, world: World, asset: Asset, content: bytes, mime_type: str,
                   filename: str | None = None) -> MediaItem:
    item = MediaItem(media_id=ids.media_id(), content=content, mime_type=mime_type,
                     sha256=base64.b64encode(hashlib.sha256(content).digest()).decode(), asset_id=asset.asset_id,
                     filename=filename, url_key=None)
    with store.lock:
        world.media[item.media_id] = item
        store.register_object(item.media_id, world)
        cdn_key = ids.cdn_key()
        world.cdn_files[cdn_key] = item.media_id
        item.cdn_key = cdn_key
        store.register_object("cdn:" + cdn_key, world)
    return item


def _require(value: Any, what: str) -> Any:
    if value is None:
        raise InboundError(f"{what} is required for this type")
    return value


def _whatsapp_message(store: Store, world: World, asset: Asset, req: InboundRequest, message_id: str,
                      now: float) -> tuple[dict[str, Any], str | None]:
    msg: dict[str, Any] = {"from": req.sender, "id": message_id, "timestamp": str(int(now))}
    media_id = None
    kind = req.type
    if kind == "text":
        msg.update(type="text", text={"body": _require(req.text, "text")})
    elif kind == "unsupported":
        msg.update(type="unsupported", errors=[webhook_error(131051, "Message type is currently not supported.",
                                                             "Message type unknown")])
        if req.unsupported_type:
            msg["unsupported"] = {"type": req.unsupported_type}
    elif kind in MEDIA_KINDS and req.media_error:
        msg.update(type="audio" if kind == "voice" else kind,
                   errors=[webhook_error(131052, "Media file size too big. Max file size we currently support: "
                                                 "100MB. Please communicate with your customer to send a media "
                                                 "file that is smaller than 100MB.")])
    elif kind in MEDIA_KINDS:
        item = _register(store, world, asset, req.media, kind)
        mime, filename = item.mime_type, item.filename
        media_id = item.media_id
        wa_type = "audio" if kind == "voice" else kind
        obj: dict[str, Any] = {"mime_type": mime, "sha256": item.sha256, "id": item.media_id}
        if req.caption is not None and kind in ("image", "video", "document"):
            obj["caption"] = req.caption
        if kind == "document":
            obj["filename"] = filename or "document.pdf"
        if wa_type == "audio":
            obj["voice"] = kind == "voice"
        if kind == "sticker":
            obj["animated"] = False
        msg.update(type=wa_type, **{wa_type: obj})
    elif kind == "location":
        loc = _require(req.location, "location")
        if not all(isinstance(loc.get(k), (int, float)) for k in ("latitude", "longitude")):
            raise InboundError("location needs numeric latitude and longitude")
        msg.update(type="location", location=loc)
    elif kind == "contacts":
        msg.update(type="contacts", contacts=_require(req.contacts, "contacts"))
    elif kind == "reaction":
        reaction = _require(req.reaction, "reaction")
        if not isinstance(reaction.get("message_id"), str):
            raise InboundError("reaction.message_id is required")
        msg.update(type="reaction", reaction=reaction)
    elif kind == "interactive":
        msg.update(type="interactive", interactive=_require(req.interactive, "interactive"))
    elif kind in ("share", "referral"):
        raise InboundError(f"type {kind!r} is not available on whatsapp")
    if req.story_reply:
        raise InboundError("story replies exist only on Instagram")
    if req.referral is not None:
        msg["referral"] = whatsapp_referral(req.referral)
    if req.context:
        msg["context"] = req.context
    return webhooks.whatsapp_message(asset, req.sender, req.from_name, msg), media_id


def _messaging_event(store: Store, world: World, asset: Asset, req: InboundRequest, message_id: str,
                     now: float, base_url: str) -> tuple[dict[str, Any], str | None]:
    kind = req.type
    media_id = None
    if kind == "reaction":
        reaction = _require(req.reaction, "reaction")
        if not isinstance(reaction.get("message_id"), str):
            raise InboundError("reaction.message_id is required")
        emoji = reaction.get("emoji")
        event = {"sender": {"id": req.sender}, "recipient": {"id": asset.asset_id}, "timestamp": int(now * 1000),
                 "reaction": {"mid": reaction["message_id"], "action": "react" if emoji else "unreact",
                              "reaction": reaction.get("reaction", "other"), **({"emoji": emoji} if emoji else {})}}
        return webhooks.messaging_envelope(asset, event, now), None
    if kind == "referral":  # a returning user clicked an ad or link into the conversation without writing
        event = {"sender": {"id": req.sender}, "recipient": {"id": asset.asset_id}, "timestamp": int(now * 1000),
                 "referral": page_referral(_require(req.referral, "referral"), asset.channel)}
        return webhooks.messaging_envelope(asset, event, now), None
    message: dict[str, Any] = {"mid": message_id}
    if kind == "text":
        message["text"] = _require(req.text, "text")
    elif kind in MEDIA_KINDS:
        item = _register(store, world, asset, req.media, kind)
        media_id = item.media_id
        payload: dict[str, Any] = {"url": f"{base_url}/cdn/{item.cdn_key}"}
        if kind == "sticker" and asset.channel == "facebook":
            payload["sticker_id"] = 369239263222822
        message["attachments"] = [{"type": MESSAGING_ATTACHMENT[kind], "payload": payload}]
        if req.text:
            message["text"] = req.text
    elif kind == "share":
        message["attachments"] = [_share_attachment(_require(req.share, "share"), asset.channel, base_url)]
    elif kind == "interactive":
        quick = _require(req.interactive, "interactive")
        message["text"] = req.text or str(quick.get("title", ""))
        message["quick_reply"] = {"payload": str(quick.get("payload", quick.get("id", "")))}
    else:  # location, contacts, unsupported: Messenger/Instagram have no such inbound message
        raise InboundError(f"type {kind!r} is not available on {asset.channel}")
    if req.context and isinstance(req.context.get("message_id"), str):
        message["reply_to"] = {"mid": req.context["message_id"]}
    if req.story_reply:
        if asset.channel != "instagram":
            raise InboundError("story replies exist only on Instagram")
        message["reply_to"] = {"story": {"url": f"{base_url}/cdn/story/{secrets.token_urlsafe(12)}",
                                         "id": ids.numeric_id("1", 17)}}
    if req.referral is not None:
        message["referral"] = page_referral(req.referral, asset.channel)
    return webhooks.messaging_message(asset, req.sender, message, now), media_id


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    first, _, last = name.partition(" ")
    return first, last or None


def build(store: Store, world: World, req: InboundRequest, base_url: str) -> dict[str, Any]:
    """Record the inbound message in the world and return {message_id, payload, media_id}."""
    asset = next((a for a in world.assets if a.asset_id == req.asset_id), None)
    if asset is None:
        raise LookupError(f"no asset {req.asset_id!r} in world {world.world_id}")
    now = world.clock.now()
    if asset.channel == "whatsapp":
        digits = req.sender.lstrip("+")
        if not digits.isdigit() or not 5 <= len(digits) <= 15:
            raise InboundError("for WhatsApp, 'from' must be a phone number in digits (wa_id)")
        req.sender = digits
        message_id = ids.wamid(digits)
        if req.standby:
            raise InboundError("standby (the handover protocol) exists only on Messenger and Instagram")
        payload, media_id = _whatsapp_message(store, world, asset, req, message_id, now)
    else:
        message_id = ("" if req.type == "referral" else
                      ids.messenger_mid() if asset.channel == "facebook" else ids.instagram_mid(asset.asset_id))
        payload, media_id = _messaging_event(store, world, asset, req, message_id, now, base_url)
        if req.standby:
            for entry in payload["entry"]:
                entry["standby"] = entry.pop("messaging")
        first, last = _split_name(req.from_name)
        with store.lock:
            profile = world.profiles.setdefault(req.sender, {})
            profile.update(asset_id=asset.asset_id, channel=asset.channel)
            if req.from_name is not None or "name" not in profile:
                profile.update(name=req.from_name, first_name=first, last_name=last,
                               username=(req.from_name or f"user{req.sender[-6:]}").lower().replace(" ", "_"),
                               profile_pic=f"{base_url}/cdn/profile/{req.sender}.jpg")
    with store.lock:
        if req.type != "reaction":
            world.last_inbound[(asset.asset_id, req.sender)] = now
        if req.standby:
            world.standby_threads.add((asset.asset_id, req.sender))
        elif req.type not in ("reaction", "referral"):
            world.standby_threads.discard((asset.asset_id, req.sender))
    return {"message_id": message_id, "payload": payload, "media_id": media_id}


async def emit_inbound(store: Store, world: World, req: InboundRequest, base_url: str) -> dict[str, Any]:
    built = build(store, world, req, base_url)
    result = None
    for _ in range(req.copies):
        result = await events.emit(store, world, built["payload"], signature=req.signature)
    return {"message_id": built["message_id"], "media_id": built["media_id"],
            "delivery": events.public_delivery(result), "payload": built["payload"]}
