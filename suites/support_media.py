"""Helpers of the media area (send-media, inbound media download) and of the subscription/tier tests.

Black box only: HTTP to the target and its harness, and ``simulator.client``. Nothing here asserts a rule
by itself except through ``suites.expect`` with the requirement id the caller names.
"""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any

import httpx

from suites import expect
from suites.data import secret, user_id
from suites.enumerations import CHANNEL_TYPES, received_media_types

# Inbound media types per channel: every media type message.received may carry on that channel (the webhook
# schema, suites/enumerations.py), as the simulator names it (an Instagram/Messenger "file" is a document
# there), with the mime type of the bytes sent. The first one (image) is the one single-type tests use.
INBOUND_MIME = {"image": "image/jpeg", "audio": "audio/mpeg", "video": "video/mp4", "document": "application/pdf",
                "sticker": "image/webp"}
INBOUND_MEDIA = {
    channel: [(kind, INBOUND_MIME[kind]) for kind in
              dict.fromkeys("document" if t == "file" else t for t in received_media_types(channel))]
    for channel in CHANNEL_TYPES
}
# Outbound media types each channel supports (fiwano-api.md "Channel Capabilities").
OUTBOUND_MEDIA = {
    "whatsapp": ("image", "audio", "video", "document"),
    "instagram": ("image", "video", "audio"),
    "facebook": ("image", "audio", "video", "document"),
}
LINK_CONTENT_TYPES = {"image": "image/jpeg", "audio": "audio/mpeg", "video": "video/mp4", "document": "application/pdf"}


# ------------------------------------------------------------------------------------------- general


def describe_calls(entries: list[Any]) -> list[str]:
    return [f"{e.method} {e.path} -> {e.status}" for e in entries]


def public_url(rng: random.Random, media_type: str = "image", host: str = "media.example.com") -> str:
    ext = {"image": "jpg", "audio": "mp3", "video": "mp4", "document": "pdf"}[media_type]
    return f"https://{host}/files/{rng.randrange(10**12)}.{ext}"


def url_of_length(length: int, rng: random.Random, host: str = "media.example.com") -> str:
    """An ASCII https URL of exactly ``length`` characters ending in .jpg."""
    prefix, suffix = f"https://{host}/", ".jpg"
    fill = length - len(prefix) - len(suffix)
    assert fill > 0
    return prefix + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(fill)) + suffix


def make_fetchable(simulator: Any, ch: Any, url: str, media_type: str = "image") -> None:
    """Tell the fake Meta that ``url`` serves a small file of the right type (Meta fetches links itself)."""
    simulator.register_link(ch.world.world_id, url, fetchable=True, content_type=LINK_CONTENT_TYPES[media_type],
                            size=2048)


def send_media(client: Any, body: dict[str, Any]) -> httpx.Response:
    return client.request("POST", "/messages/send-media", json=body)


def media_body(ch: Any, recipient: str, media_type: str, media_url: str, **extra: Any) -> dict[str, Any]:
    return {"channel_id": ch.id, "recipient": recipient, "media_type": media_type, "media_url": media_url, **extra}


def sent_media(entry: Any) -> dict[str, Any]:
    """What a Meta send call carried: link, caption, filename and the attachment/media type."""
    body = entry.json if isinstance(entry.json, dict) else {}
    if body.get("messaging_product") == "whatsapp":
        kind = body.get("type")
        obj = body.get(kind) if isinstance(body.get(kind), dict) else {}
        return {"type": kind, "link": obj.get("link"), "caption": obj.get("caption"), "filename": obj.get("filename")}
    attachment = (body.get("message") or {}).get("attachment") if isinstance(body.get("message"), dict) else None
    attachment = attachment if isinstance(attachment, dict) else {}
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    return {"type": attachment.get("type"), "link": payload.get("url"), "caption": None, "filename": None}


# ------------------------------------------------------------------------------------------- webhooks


def configure_relay(ch: Any, endpoint: Any, rng: random.Random, events: list[str] | None = None,
                    req: str = "RELAY-RECEIVED-PAYLOAD") -> str:
    key = secret(rng)
    response = ch.client.patch_channel(ch.id, {"webhook_url": endpoint.url, "webhook_secret": key,
                                               "webhook_events": events or ["message.received"]})
    expect.status(response, 200, req, "PATCH webhook settings")
    return key


def receive_media(simulator: Any, ch: Any, endpoint: Any, rng: random.Random, timeout: float, *,
                  media_type: str, mime_type: str, content: bytes | None = None, size: int | None = None,
                  filename: str | None = None, req: str = "MEDIA-DL-OK", already: int = 0,
                  **fields: Any) -> tuple[Any, dict[str, Any]]:
    """A user sends a media message; returns (simulator result, data of the relayed message.received)."""
    media: dict[str, Any] = {"mime_type": mime_type}
    if filename is not None:
        media["filename"] = filename
    if size is not None:
        media["size"] = size
    sender = user_id(ch.channel_type, rng)
    result = simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, sender, media_type, content=content,
                                    media=media, **fields)
    expect.check(result.delivery.ok, req, "the target's answer to the signed Meta webhook", "HTTP 2xx",
                 result.delivery.model_dump())
    delivery = endpoint.wait_for(already + 1, timeout, what=f"{req}: message.received of a {media_type}")[already]
    payload = delivery.json()
    data = payload.get("data") if isinstance(payload, dict) and isinstance(payload.get("data"), dict) else {}
    return result, data


def media_object(data: dict[str, Any], req: str) -> dict[str, Any]:
    media = data.get("media")
    expect.check(isinstance(media, dict) and media.get("media_id"), req, "data.media of the relayed media message",
                 "a media object with a media_id", data)
    return media


def download(client: Any, media_id: str) -> httpx.Response:
    return client.request("GET", f"/media/{media_id}", headers={"Accept": "*/*"})


def sha256_matches(declared: Any, content: bytes) -> bool:
    """Meta gives sha256 in base64; Fiwano may pass it on or hex it: either encoding of the bytes' hash."""
    digest = hashlib.sha256(content).digest()
    return declared in (digest.hex(), base64.b64encode(digest).decode())


# ------------------------------------------------------------------------------------------- subscriptions


def change_subscription(harness: Any, account: Any, **body: Any) -> dict[str, Any]:
    """POST /harness/accounts/{id}/subscription (contract/harness.yaml changeSubscription)."""
    return harness.change_subscription(account.account_id, **body)


def subscription_of(ch: Any, req: str) -> dict[str, Any]:
    response = ch.client.get_channel(ch.id)
    body = expect.json_object(expect.status(response, 200, req, "GET the channel"), req, "channel")
    sub = body.get("subscription")
    expect.check(isinstance(sub, dict), req, "channel.subscription", "an object (always present)", body)
    return sub
