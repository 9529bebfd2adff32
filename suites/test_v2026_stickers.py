"""Profile fiwano-2026-10, changelog 2026-09-14 "stickers": an inbound sticker arrives as ``type: "image"`` on every
channel, never as type "sticker"; on WhatsApp and Messenger with ``media.sticker: true``, on Messenger also
``media.sticker_id`` (Meta's id of the catalog sticker).

What Meta sends (simulator/inbound.py): WhatsApp a ``sticker`` message (image/webp); Messenger an ``image``
attachment whose payload carries ``sticker_id``; Instagram an ``image`` attachment. The v1 test of WhatsApp media
(test_inbound_types.py) reads the same rule through the readings of RELAY-MEDIA-TYPES-WA, which this profile pins
to sticker-as-image.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import configure, emit, payload_of

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
