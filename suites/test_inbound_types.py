"""Inbound relay of every message type Meta sends: media with its file on Pro, "unsupported" otherwise.

Spec: fiwano-api.md "Channel Capabilities" (incoming media per channel), "Incoming Webhooks /
message.received — media (Pro)" (media payload fields, voice normalisation), "message.received —
unsupported type (all channels)", and "Verifying Signatures" / "Connecting Channels" for the secret a
channel gets when none is given. The simulator sends the user's message as Meta would (WhatsApp: media id
+ sha256, file behind an authenticated URL; Messenger/Instagram: a CDN attachment URL); the sink keeps what
the customer gets; the file is then fetched back through the target's download_url.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest

from suites import expect, readings
from suites.data import secret, user_id
from suites.enumerations import received_media_types
from suites.support_relay import configure, emit, payload_of

MEDIA_FIELDS = {"media_id", "kind", "mime_type", "file_size", "filename", "sha256", "duration_ms", "download_url",
                "expires_at"}
AV_KINDS = {"audio", "voice", "video"}
MIME = {"image": "image/jpeg", "audio": "audio/mpeg", "voice": "audio/ogg; codecs=opus", "video": "video/mp4",
        "document": "application/pdf", "sticker": "image/webp"}
CAPTIONED_WA = {"image", "video", "document"}
# simulator type -> (data.type, media.kind) as the docs name them
WA_EXPECTED = {"image": ("image", "image"), "audio": ("audio", "audio"), "voice": ("audio", "voice"),
               "video": ("video", "video"), "document": ("document", "document"), "sticker": ("sticker", "sticker")}
PAGE_EXPECTED = {"image": ("image", "image"), "audio": ("audio", "audio"), "video": ("video", "video"),
                 "document": ("file", None)}  # the kind of a "file" is a reading of RELAY-MEDIA-KIND
# The contract's Instagram/Messenger media types as the simulator names them (a "file" is a document there).
PAGE_KINDS = list(dict.fromkeys("document" if t == "file" else t
                                for c in ("instagram", "facebook") for t in received_media_types(c)))
FILE_KIND_READINGS = {"document": "file-as-document", "file": "file-kind"}


def relayed(account, channel, channel_type, sink, rng, tier="pro"):
    ch = channel(account(tier=tier), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    return ch, endpoint


def received(endpoint, fiwano_config, req: str, what: str) -> dict:
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: {what}")[0]
    payload = payload_of(delivery, req)
    expect.check(payload.get("event") == "message.received", req, "event", "'message.received'", payload)
    return payload["data"]


def file_bytes(rng, kind: str) -> bytes:
    return f"{kind} file #{rng.randrange(10**9)}\n".encode() + rng.randbytes(rng.randrange(1500, 3000))


def check_media(data: dict, *, ch, req_kind: str, kind, mime: str, content: bytes, filename, sha256, fiwano_config,
                target_url: str) -> dict:
    """The media object of a Pro delivery: every documented field, each with its rule; the file downloads."""
    media = data.get("media")
    expect.check(isinstance(media, dict) and MEDIA_FIELDS <= set(media), "RELAY-MEDIA-PAYLOAD", "data.media",
                 f"an object with {sorted(MEDIA_FIELDS)}", data)
    if kind is not None:
        expect.check(media["kind"] == kind, req_kind, "media.kind", repr(kind), repr(media["kind"]))
    expect.check(isinstance(media["mime_type"], str) and media["mime_type"].split(";")[0].strip().lower()
                 == mime.split(";")[0], "RELAY-MEDIA-PAYLOAD", "media.mime_type", f"{mime!r} (as Meta gave it)",
                 repr(media["mime_type"]))
    expect.check(media["file_size"] == len(content), "RELAY-MEDIA-PAYLOAD", "media.file_size",
                 f"{len(content)} (bytes of the file)", repr(media["file_size"]))
    expect.check(media["filename"] == filename, "RELAY-MEDIA-FILENAME", f"media.filename of a {media['kind']}",
                 repr(filename), repr(media["filename"]))
    if sha256 is None:
        expect.check(media["sha256"] is None, "RELAY-MEDIA-SHA256", f"media.sha256 on {ch.channel_type}", "null",
                     repr(media["sha256"]))
    else:
        digest = hashlib.sha256(content).digest()
        accepted = {sha256, digest.hex(), base64.b64encode(digest).decode()}
        expect.check(media["sha256"] in accepted, "RELAY-MEDIA-SHA256", "media.sha256 on WhatsApp",
                     f"Meta's hash {sha256!r} (or the same digest in hex)", repr(media["sha256"]))
    duration = media["duration_ms"]
    if media["kind"] in AV_KINDS:
        expect.check(duration is None or (isinstance(duration, int) and duration >= 0), "RELAY-MEDIA-DURATION",
                     f"media.duration_ms of {media['kind']}", "milliseconds or null", repr(duration))
    else:
        expect.check(duration is None, "RELAY-MEDIA-DURATION", f"media.duration_ms of {media['kind']}", "null",
                     repr(duration))
    expect.check(isinstance(media["expires_at"], str) and _iso(media["expires_at"]), "RELAY-MEDIA-PAYLOAD",
                 "media.expires_at", "an ISO 8601 time", repr(media["expires_at"]))
    media_id, url = media["media_id"], media["download_url"]
    expect.check(isinstance(media_id, str) and media_id, "RELAY-MEDIA-PAYLOAD", "media.media_id", "a string",
                 repr(media_id))
    expect.check(isinstance(url, str) and urlsplit(url).path == f"/api/v1/media/{media_id}"
                 and urlsplit(url).scheme in ("https", urlsplit(target_url).scheme), "RELAY-MEDIA-DOWNLOAD-URL",
                 "media.download_url", f"<target>/api/v1/media/{media_id}", repr(url))
    fetched = ch.client.request("GET", f"/media/{media_id}")
    expect.check(fetched.status_code == 200 and fetched.content == content, "RELAY-MEDIA-DOWNLOAD-URL",
                 f"GET /api/v1/media/{media_id} with the channel owner's key",
                 f"HTTP 200 with the {len(content)} bytes the user sent",
                 f"HTTP {fetched.status_code}, {len(fetched.content)} bytes")
    anonymous = ch.client.request("GET", f"/media/{media_id}", api_key=None)
    expect.check(anonymous.status_code == 401, "RELAY-MEDIA-DOWNLOAD-URL", "the download URL without X-API-Key",
                 "HTTP 401 (authenticated URL)", expect.describe(anonymous))
    return media


@pytest.mark.req("RELAY-MEDIA-PAYLOAD", "RELAY-MEDIA-TYPES-WA", "RELAY-MEDIA-KIND", "RELAY-MEDIA-SHA256",
                 "RELAY-MEDIA-FILENAME", "RELAY-MEDIA-DURATION", "RELAY-MEDIA-DOWNLOAD-URL", "RELAY-MEDIA-CAPTION")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("kind", [
    *[t for t in received_media_types("whatsapp") if t != "audio"],  # the contract's WhatsApp media types
    pytest.param("audio", marks=pytest.mark.req("RELAY-MEDIA-VOICE"), id="audio"),
    pytest.param("voice", marks=pytest.mark.req("RELAY-MEDIA-VOICE"), id="voice"),
])
def test_whatsapp_media_is_relayed_with_its_file(account, channel, channel_type, sink, simulator, fiwano_config,
                                                 fiwano_target, rng, kind):
    ch, endpoint = relayed(account, channel, channel_type, sink, rng)
    content = file_bytes(rng, kind)
    filename = f"contract-{rng.randrange(10**6)}.pdf" if kind == "document" else None
    caption = f"caption of the {kind} ✓ #{rng.randrange(10**6)}" if kind in CAPTIONED_WA else None
    media_spec = {"mime_type": MIME[kind], **({"filename": filename} if filename else {})}

    result = emit(simulator, ch, user_id("whatsapp", rng), kind, content=content, media=media_spec, caption=caption)

    data = received(endpoint, fiwano_config, "RELAY-MEDIA-TYPES-WA", f"WhatsApp {kind} message")
    expected_type, expected_kind = WA_EXPECTED[kind]
    if kind == "sticker":  # type "sticker" (v1 docs) or "image" with media.sticker true (changelog 2026-09-14)
        as_image = data.get("type") == "image" and (data.get("media") or {}).get("sticker") is True
        readings.accepts("RELAY-MEDIA-TYPES-WA", "sticker-as-image" if as_image else "sticker-type",
                         what="a WhatsApp sticker relayed", seen=data.get("type"))
        expected_type, expected_kind = ("image", "image") if as_image else (expected_type, expected_kind)
    type_req = "RELAY-MEDIA-VOICE" if kind in ("audio", "voice") else "RELAY-MEDIA-TYPES-WA"
    expect.check(data.get("type") == expected_type, type_req, f"data.type of a WhatsApp {kind}",
                 repr(expected_type), repr(data.get("type")))
    expect.check(data.get("message_id") == result.message_id, "RELAY-MEDIA-PAYLOAD", "data.message_id",
                 repr(result.message_id), repr(data.get("message_id")))
    expect.check(data.get("caption") == caption, "RELAY-MEDIA-CAPTION", f"data.caption of a {kind}",
                 repr(caption) if caption else "absent or null", repr(data.get("caption")))
    check_media(data, ch=ch, req_kind="RELAY-MEDIA-VOICE" if kind in ("audio", "voice") else "RELAY-MEDIA-KIND",
                kind=expected_kind, mime=MIME[kind], content=content, filename=filename,
                sha256=_wa_sha256(result.payload), fiwano_config=fiwano_config, target_url=fiwano_target.url)
    expect.webhook_conforms(endpoint.requests[0].body, "RELAY-MEDIA-PAYLOAD", event="message.received")


@pytest.mark.req("RELAY-MEDIA-PAYLOAD", "RELAY-MEDIA-TYPES-IGFB", "RELAY-MEDIA-KIND", "RELAY-MEDIA-SHA256",
                 "RELAY-MEDIA-FILENAME", "RELAY-MEDIA-DURATION", "RELAY-MEDIA-DOWNLOAD-URL", "RELAY-MEDIA-CAPTION")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_instagram_and_messenger_media_is_relayed_with_its_file(account, channel, channel_type, sink, simulator,
                                                                fiwano_config, fiwano_profile, fiwano_target, rng,
                                                                record_property, kind):
    ch, endpoint = relayed(account, channel, channel_type, sink, rng)
    content = file_bytes(rng, kind)
    caption = f"about this {kind} #{rng.randrange(10**6)}" if kind == "image" else None

    result = emit(simulator, ch, user_id(channel_type, rng), kind, content=content, media={"mime_type": MIME[kind]},
                  text=caption)

    data = received(endpoint, fiwano_config, "RELAY-MEDIA-TYPES-IGFB", f"{channel_type} {kind} attachment")
    expected_type, expected_kind = PAGE_EXPECTED[kind]
    expect.check(data.get("type") == expected_type, "RELAY-MEDIA-TYPES-IGFB", f"data.type of a {channel_type} "
                 f"{expected_type} attachment", repr(expected_type), repr(data.get("type")))
    expect.check(data.get("message_id") == result.message_id, "RELAY-MEDIA-PAYLOAD", "data.message_id",
                 repr(result.message_id), repr(data.get("message_id")))
    expect.check(data.get("caption") == caption, "RELAY-MEDIA-CAPTION", f"data.caption of a {kind}",
                 repr(caption) if caption else "absent or null", repr(data.get("caption")))
    media = check_media(data, ch=ch, req_kind="RELAY-MEDIA-KIND", kind=expected_kind, mime=MIME[kind],
                        content=content, filename=None, sha256=None, fiwano_config=fiwano_config,
                        target_url=fiwano_target.url)
    if expected_kind is None:  # a "file": which reading of RELAY-MEDIA-KIND does the target follow?
        reading = FILE_KIND_READINGS.get(media["kind"])
        expect.check(reading is not None, "RELAY-MEDIA-KIND", "media.kind of a file attachment",
                     "'document' (file-as-document) or 'file' (file-kind)", repr(media["kind"]))
        readings.accepts("RELAY-MEDIA-KIND", reading, what="media.kind of a file attachment")


@pytest.mark.req("RELAY-MEDIA-DOWNLOAD-FAILED")
@pytest.mark.level("simulated")
def test_failed_download_is_relayed_without_a_url(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch, endpoint = relayed(account, channel, channel_type, sink, rng)
    if channel_type == "whatsapp":  # Meta itself could not get the file (131052, no media object)
        result = emit(simulator, ch, user_id(channel_type, rng), "image", media_error=True)
    else:  # the attachment URL breaks off in the middle of the file
        result = emit(simulator, ch, user_id(channel_type, rng), "image",
                      media={"size": 4096, "mime_type": MIME["image"], "delivery": "truncated"})

    data = received(endpoint, fiwano_config, "RELAY-MEDIA-DOWNLOAD-FAILED", "an image whose download fails")
    media = data.get("media") if isinstance(data.get("media"), dict) else {}
    expect.check(data.get("type") == "image" and data.get("message_id") == result.message_id,
                 "RELAY-MEDIA-DOWNLOAD-FAILED", "data.type and data.message_id",
                 f"'image' and {result.message_id!r}", data)
    expect.check("download_url" in media and media["download_url"] is None, "RELAY-MEDIA-DOWNLOAD-FAILED",
                 "media.download_url", "null", data)
    expect.check(isinstance(media.get("error"), str) and media["error"].strip(), "RELAY-MEDIA-DOWNLOAD-FAILED",
                 "media.error", "a string describing the failure", data)


@pytest.mark.req("RELAY-UNSUPPORTED-UPGRADE")
@pytest.mark.level("simulated")
def test_starter_media_is_unsupported_with_upgrade_hint(account, channel, channel_type, sink, simulator,
                                                        fiwano_config, rng):
    ch, endpoint = relayed(account, channel, channel_type, sink, rng, tier="starter")

    result = emit(simulator, ch, user_id(channel_type, rng), "image", content=file_bytes(rng, "image"),
                  media={"mime_type": MIME["image"]})

    data = received(endpoint, fiwano_config, "RELAY-UNSUPPORTED-UPGRADE", "an image on a Starter channel")
    seen = {k: data.get(k) for k in ("type", "unsupported_type", "upgrade_required", "message_id")}
    wanted = {"type": "unsupported", "unsupported_type": "image", "upgrade_required": "pro",
              "message_id": result.message_id}
    expect.check(seen == wanted, "RELAY-UNSUPPORTED-UPGRADE", "message.received of media on Starter", wanted, data)
    expect.check(data.get("media") is None, "RELAY-UNSUPPORTED-UPGRADE", "data.media on Starter",
                 "absent or null (no file)", data)
    expect.webhook_conforms(endpoint.requests[0].body, "RELAY-UNSUPPORTED-UPGRADE", event="message.received")


# Types Fiwano does not relay, per channel (Messenger/Instagram deliver no location or contacts messages).
OTHER_TYPES = {
    "whatsapp": [("location", {"location": {"latitude": 52.52, "longitude": 13.405, "name": "Berlin"}}),
                 ("contacts", {"contacts": [{"name": {"formatted_name": "Alan Turing", "first_name": "Alan"},
                                             "phones": [{"phone": "+15550001111", "type": "CELL"}]}]}),
                 ("reaction", {"reaction": {"message_id": "wamid.HBgLMTU1NTAwMDExMTEVAgASGBQzQUI", "emoji": "👍"}}),
                 ("unsupported", {})],
    "instagram": [("reaction", {"reaction": {"message_id": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx",
                                             "emoji": "❤"}})],
    "facebook": [("reaction", {"reaction": {"message_id": "m_AbCdEfGhIjKlMnOpQrStUvWxYz0123", "emoji": "😮"}})],
}


@pytest.mark.req("RELAY-UNSUPPORTED-OTHER")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("tier", ["pro", "starter"])
def test_other_types_are_unsupported_without_upgrade_hint(account, channel, channel_type, sink, simulator,
                                                          fiwano_config, rng, tier):
    ch, endpoint = relayed(account, channel, channel_type, sink, rng, tier=tier)
    kinds = OTHER_TYPES[channel_type]
    for kind, fields in kinds:
        emit(simulator, ch, user_id(channel_type, rng), kind, **fields)

    arrived = endpoint.wait_for(len(kinds), fiwano_config.delivery_timeout,
                                what=f"RELAY-UNSUPPORTED-OTHER: {', '.join(k for k, _ in kinds)} on {tier}")
    for request in arrived:
        data = payload_of(request, "RELAY-UNSUPPORTED-OTHER")["data"]
        expect.check(data.get("type") == "unsupported" and data.get("upgrade_required") is None
                     and data.get("media") is None, "RELAY-UNSUPPORTED-OTHER",
                     f"message.received of a type Fiwano does not support, {tier} tier",
                     'type "unsupported", no upgrade_required, no media', data)
        expect.webhook_conforms(request.body, "RELAY-UNSUPPORTED-OTHER", event="message.received")


# ------------------------------------------------------------------------------------------- secret


HEX = re.compile(r"^[0-9a-f]+$")


@pytest.mark.req("WEBHOOK-SECRET-FORMAT", "RELAY-SIGNATURE-NO-SECRET")
@pytest.mark.level("simulated")
def test_channel_without_a_given_secret_gets_signed_events(account, channel, channel_type, sink, simulator,
                                                           fiwano_config, fiwano_profile, rng, record_property):
    ch = channel(account(), channel_type)
    endpoint = sink()
    answer = configure(ch, {"webhook_url": endpoint.url, "webhook_events": ["message.received"]})
    shown = answer.get("webhook_secret")

    emit(simulator, ch, user_id(channel_type, rng), "text", text="no secret was given")

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                 what="RELAY-SIGNATURE-NO-SECRET: events of a channel whose secret was never given")[0]
    signature = delivery.header("X-Webhook-Signature")
    reading = "header-absent" if signature is None else "always-secret"
    readings.accepts("RELAY-SIGNATURE-NO-SECRET", reading, what="events of a channel whose secret was never given",
                     seen=f"{reading} (X-Webhook-Signature {signature!r})")
    if reading == "header-absent":
        return
    expect.check(isinstance(shown, str), "RELAY-SIGNATURE-NO-SECRET",
                 "the auto-generated secret in the PATCH answer (needed to verify the signed events)",
                 "webhook_secret shown once", answer)
    expect.check(signature == expect.webhook_signature(shown, delivery.body), "RELAY-SIGNATURE-NO-SECRET",
                 "X-Webhook-Signature of an event signed with the generated secret",
                 "HMAC-SHA256 of the body with the webhook_secret the PATCH answer showed", signature)
    length = int(fiwano_profile["webhook_secret_autogen_hex_chars"])
    readings.generated_secret(shown, length, "WEBHOOK-SECRET-FORMAT", "the auto-generated webhook_secret")


def _wa_sha256(payload) -> str | None:
    """The sha256 Meta put in the WhatsApp webhook (what the target must pass on)."""
    for entry in (payload or {}).get("entry", []):
        for change in entry.get("changes", []):
            for message in change.get("value", {}).get("messages", []):
                obj = message.get(message.get("type"), {})
                if isinstance(obj, dict) and obj.get("sha256"):
                    return obj["sha256"]
    return None


def _iso(value: str) -> bool:
    return readings.parse_timestamp(value) is not None
