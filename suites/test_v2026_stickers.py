"""Profile fiwano-2026-10, changelog 2026-09-14 "stickers": an inbound sticker arrives as ``type: "image"`` on every
channel, never as type "sticker"; on WhatsApp and Messenger with ``media.sticker: true``, on Messenger also
``media.sticker_id`` (Meta's id of the catalog sticker). Sending: send-media with ``media_type: "sticker"``, a WebP
file (``media_url``) on WhatsApp, a catalog ``sticker_id`` on Messenger (SEND-STICKER).

Meta's send shapes (checked against Meta's documentation): WhatsApp Cloud API "Sticker messages", ``type: "sticker"``
with ``sticker: {link}`` (or an uploaded media id); Messenger's Sticker API (Messenger Platform changelog, 1 June
2026), ``message: {sticker_id: <catalog id>}``. Instagram: the changelog names no sticker send (Meta's Instagram
messaging offers only its "like_heart" sticker), so SEND-STICKER covers WhatsApp and Messenger only. The API's
``sticker_id`` is sent as a string of digits, like every other id of the API; Meta may get it as number or string.

What Meta sends (simulator/inbound.py): WhatsApp a ``sticker`` message (image/webp); Messenger an ``image``
attachment whose payload carries ``sticker_id``; Instagram an ``image`` attachment. The v1 test of WhatsApp media
(test_inbound_types.py) reads the same rule through the readings of RELAY-MEDIA-TYPES-WA, which this profile pins
to sticker-as-image.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_media import describe_calls, send_media
from suites.support_relay import configure, emit, payload_of
from suites.support_sending import body_of, meta_sends, open_window

REQ = "RELAY-STICKER-AS-IMAGE"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(24))


def _meta_sticker_id(payload) -> object:
    entry = ((payload or {}).get("entry") or [{}])[0]
    return entry["messaging"][0]["message"]["attachments"][0]["payload"].get("sticker_id")


@pytest.mark.req(REQ)
@pytest.mark.level("simulated")
def test_sticker_arrives_as_image(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch = channel(account(tier="pro"), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})

    result = emit(simulator, ch, user_id(channel_type, rng), "sticker", req=REQ, content=WEBP,
                  media={"mime_type": "image/webp"})

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{REQ}: message.received of a sticker")[0]
    data = payload_of(delivery, REQ).get("data") or {}
    media = data.get("media") if isinstance(data.get("media"), dict) else {}
    expect.check(data.get("type") == "image" and data.get("message_id") == result.message_id, REQ,
                 f"a {channel_type} sticker", f'type "image" (never "sticker"), message_id {result.message_id!r}',
                 data)
    if channel_type in ("whatsapp", "facebook"):
        expect.check(media.get("sticker") is True, REQ, f"media.sticker of a {channel_type} sticker", True, media)
    if channel_type == "facebook":
        sticker_id = _meta_sticker_id(result.payload)
        expect.check(str(media.get("sticker_id")) == str(sticker_id), REQ, "media.sticker_id of a Messenger sticker",
                     f"Meta's sticker_id {sticker_id!r}", media.get("sticker_id"))
    expect.webhook_conforms(delivery.body, REQ, event="message.received")


@pytest.mark.req("SEND-STICKER")
@pytest.mark.level("simulated")
def test_a_sticker_is_sent_as_metas_sticker_message(account, channel, channel_type, simulator, rng):
    """send-media with media_type "sticker" is accepted ({"success": true, "message_id": UUID}) and reaches Meta
    as exactly one sticker message: on WhatsApp ``type: "sticker"`` with ``sticker: {"link": <the WebP URL>}``
    (nothing else: a sticker has no caption), on Messenger ``message: {"sticker_id": <the catalog id>}``."""
    owner = account(tier="pro")
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-STICKER")
    if channel_type == "whatsapp":
        url = f"https://media.example.com/stickers/{rng.randrange(10 ** 12)}.webp"
        simulator.register_link(ch.world.world_id, url, fetchable=True, content_type="image/webp", size=2048)
        request = {"channel_id": ch.id, "recipient": recipient, "media_type": "sticker", "media_url": url}
    else:
        sticker_id = str(rng.randrange(10 ** 14, 10 ** 15))
        request = {"channel_id": ch.id, "recipient": recipient, "media_type": "sticker", "sticker_id": sticker_id}

    response = send_media(owner.client, request)

    expect.status(response, 200, "SEND-STICKER", f"send-media of a {channel_type} sticker")
    body = expect.json_object(expect.conforms(response, "SEND-STICKER"), "SEND-STICKER", "send-media response")
    expect.check(body.get("success") is True and expect.UUID_FORMAT.match(str(body.get("message_id"))), "SEND-STICKER",
                 f"send-media of a {channel_type} sticker", '{"success": true, "message_id": "<UUID>"}', body)
    sends = meta_sends(simulator, ch)
    expect.check(len(sends) == 1, "SEND-STICKER", "send calls Meta received", "exactly one", describe_calls(sends))
    sent = body_of(sends[0])
    if channel_type == "whatsapp":
        seen = {"type": sent.get("type"), "sticker": sent.get("sticker"), "to": sent.get("to")}
        expect.check(seen == {"type": "sticker", "sticker": {"link": url}, "to": recipient}, "SEND-STICKER",
                     "the WhatsApp message Meta received", f'type "sticker", sticker {{"link": {url!r}}}, to {recipient}',
                     sent)
    else:
        message = sent.get("message")
        expect.check(isinstance(message, dict) and list(message) == ["sticker_id"]
                     and str(message["sticker_id"]) == sticker_id, "SEND-STICKER", "the Messenger message Meta received",
                     f'message {{"sticker_id": {sticker_id}}} (number or string)', sent)
