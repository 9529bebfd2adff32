"""Profile fiwano-2026-10, changelog 2026-09-23 "referral (beta)": the first message.received of a conversation
started from an ad (Click-to-WhatsApp / Instagram / Messenger) or an m.me / ig.me link with ``ref`` carries
``data.referral`` {source, text, image_url, ref, raw}; on Instagram and Messenger a returning user's click
into the conversation without writing is ``conversation.referral`` (only when enabled) and reopens the
24-hour window.

What Meta sends (simulator/inbound.py): WhatsApp ``messages[].referral`` (source_type "ad", headline, body,
image_url, ctwa_clid); Messenger/Instagram ``message.referral`` (ads: source "ADS" with ads_context_data
ad_title and photo_url; links: ref with a link source) and, without a message, ``messaging[].referral``.
Which of the ad's texts ``text`` holds the changelog does not say: its headline or its body, both accepted
(readings of RELAY-REFERRAL-FIRST-MESSAGE).
"""

from __future__ import annotations

from typing import Any

import pytest

from suites import expect, readings
from suites.data import secret, user_id
from suites.support_relay import collect, configure, emit, payload_of

REQ = "RELAY-REFERRAL-FIRST-MESSAGE"
HEADLINE = "Spring sale: 20 % off"
BODY = "Tap to chat with us about the offer"
IMAGE = "https://scontent.example.invalid/ad-image.jpg"
CASES = [("whatsapp", "ad"), ("instagram", "ad"), ("instagram", "link"), ("facebook", "ad"), ("facebook", "link")]


def _meta_referral(payload: dict[str, Any] | None) -> dict[str, Any]:
    """Meta's referral object in the webhook the simulator sent (WhatsApp messages[], else messaging[])."""
    entry = ((payload or {}).get("entry") or [{}])[0]
    if "changes" in entry:
        return entry["changes"][0]["value"]["messages"][0]["referral"]
    event = (entry.get("messaging") or entry.get("standby"))[0]
    return (event.get("message") or {}).get("referral") or event["referral"]


def _spec(source: str, rng) -> dict[str, Any]:
    spec: dict[str, Any] = {"source": source, "ref": f"campaign-{rng.randrange(10**6)}"}
    if source == "ad":
        spec.update(headline=HEADLINE, body=BODY, image_url=IMAGE)
    return spec


@pytest.mark.req(REQ)
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type,source", CASES)
def test_first_message_carries_the_referral(account, channel, channel_type, source, sink, simulator, fiwano_config,
                                            rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    spec = _spec(source, rng)

    result = emit(simulator, ch, user_id(channel_type, rng), "text", req=REQ, text="Hi, I saw your ad",
                  referral=spec)

    raw = _meta_referral(result.payload)
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{REQ}: the first message.received")[0]
    data = payload_of(delivery, REQ).get("data") or {}
    referral = data.get("referral")
    what = f"data.referral of the first {channel_type} message after a click on an {source}"
    expect.check(isinstance(referral, dict) and referral.get("source") == source and referral.get("raw") == raw,
                 REQ, what, f"source {source!r} and raw = Meta's referral object {raw!r}", referral)
    if channel_type != "whatsapp":  # WhatsApp's referral has no ref (a wa.me link carries none)
        expect.check(referral.get("ref") == spec["ref"], REQ, f"{what}: ref", spec["ref"], referral.get("ref"))
    if source == "ad":
        expect.check(referral.get("image_url") == IMAGE, REQ, f"{what}: image_url", IMAGE, referral.get("image_url"))
        texts = {HEADLINE: "ad-headline", BODY: "ad-body"}
        expect.check(referral.get("text") in texts, REQ, f"{what}: text", f"the ad's headline {HEADLINE!r} or its "
                     f"body {BODY!r}", referral.get("text"))
        if channel_type == "whatsapp":  # only WhatsApp sends both texts of the ad
            readings.accepts(REQ, texts[referral["text"]], what="the ad text relayed", seen=referral.get("text"))
    expect.check(data.get("type") == "text" and data.get("text") == "Hi, I saw your ad", REQ,
                 f"{what}: the message itself", 'type "text" with its text', data)


@pytest.mark.req("RELAY-REFERRAL-EVENT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_click_into_a_conversation_is_a_referral_event(account, channel, channel_type, sink, simulator, fiwano_config,
                                                       rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                   "webhook_events": ["conversation.referral"]})
    user = user_id(channel_type, rng)  # never wrote: no 24-hour window yet
    spec = _spec("link", rng)

    result = emit(simulator, ch, user, "referral", req="RELAY-REFERRAL-EVENT", referral=spec)

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                 what="RELAY-REFERRAL-EVENT: conversation.referral of a click without a message")[0]
    payload = payload_of(delivery, "RELAY-REFERRAL-EVENT")
    referral = (payload.get("data") or {}).get("referral")
    expect.check(payload.get("event") == "conversation.referral" and isinstance(referral, dict)
                 and referral.get("source") == "link" and referral.get("ref") == spec["ref"]
                 and referral.get("raw") == _meta_referral(result.payload), "RELAY-REFERRAL-EVENT",
                 f"the webhook of a {channel_type} click into the conversation",
                 f"conversation.referral with referral source 'link', ref {spec['ref']!r} and Meta's object as raw",
                 payload)
    expect.webhook_conforms(delivery.body, "RELAY-REFERRAL-EVENT", event="conversation.referral")
    response = ch.client.send_text(ch.id, user, f"thanks for clicking #{rng.randrange(10**6)}")
    body = expect.json_object(expect.status(response, 200, "RELAY-REFERRAL-EVENT", "a send after the click"),
                              "RELAY-REFERRAL-EVENT", "send answer")
    expect.check(body.get("success") is True, "RELAY-REFERRAL-EVENT",
                 "a send to the user who only clicked (the click reopens the 24-hour window)", "success true", body)


@pytest.mark.req("RELAY-REFERRAL-EVENT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_no_referral_event_unless_enabled(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    user = user_id(channel_type, rng)
    emit(simulator, ch, user, "referral", req="RELAY-REFERRAL-EVENT", referral=_spec("link", rng))

    emit(simulator, ch, user, "text", req="RELAY-REFERRAL-EVENT", text="and now I write")

    seen = collect(endpoint, 1, fiwano_config, "RELAY-REFERRAL-EVENT: the message.received after the click")
    events = [payload_of(request, "RELAY-REFERRAL-EVENT").get("event") for request in seen]
    expect.check(events == ["message.received"], "RELAY-REFERRAL-EVENT",
                 f"webhooks of a {channel_type} channel without conversation.referral after a click and a message",
                 ["message.received"], events)
