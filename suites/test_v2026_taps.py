"""Profile fiwano-2026-10, changelog 2026-09-14 "shares, taps, replies" (the taps): a tap on an offered
option arrives as ``type: "text"`` with the option's label as text: WhatsApp interactive button and list row
replies, Instagram/Messenger quick replies.

Not covered yet (the simulator does not emit them): WhatsApp quick-reply template buttons (type "button") and
Instagram/Messenger postbacks; the reference handles both (reference/inbound.py ``tap``).
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import configure, emit, payload_of

LABEL = "Yes, book it ✓"
WA_TAPS = {
    "button-reply": {"type": "button_reply", "button_reply": {"id": "book-yes", "title": LABEL}},
    "list-reply": {"type": "list_reply", "list_reply": {"id": "row-7", "title": LABEL, "description": "Tomorrow"}},
}


def _tapped(account, channel, channel_type, sink, simulator, fiwano_config, rng, interactive):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    result = emit(simulator, ch, user_id(channel_type, rng), "interactive", req="RELAY-TAP-AS-TEXT",
                  interactive=interactive)
    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-TAP-AS-TEXT: message.received")[0]
    payload = payload_of(delivery, "RELAY-TAP-AS-TEXT")
    return result, payload, delivery


@pytest.mark.req("RELAY-TAP-AS-TEXT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
@pytest.mark.parametrize("kind", list(WA_TAPS))
def test_whatsapp_interactive_reply_is_text(account, channel, channel_type, sink, simulator, fiwano_config, rng, kind):
    result, payload, delivery = _tapped(account, channel, channel_type, sink, simulator, fiwano_config, rng,
                                        WA_TAPS[kind])

    data = payload.get("data") or {}
    expect.check(payload.get("event") == "message.received" and data.get("type") == "text"
                 and data.get("text") == LABEL, "RELAY-TAP-AS-TEXT", f"a WhatsApp interactive {kind}",
                 f'message.received type "text" with text {LABEL!r}', payload)
    expect.check(data.get("message_id") == result.message_id, "RELAY-TAP-AS-TEXT", "data.message_id",
                 result.message_id, data.get("message_id"))
    expect.webhook_conforms(delivery.body, "RELAY-TAP-AS-TEXT", event="message.received")


@pytest.mark.req("RELAY-TAP-AS-TEXT")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_quick_reply_is_text(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    _, payload, delivery = _tapped(account, channel, channel_type, sink, simulator, fiwano_config, rng,
                                   {"title": LABEL, "payload": "BOOK_YES"})

    data = payload.get("data") or {}
    expect.check(data.get("type") == "text" and data.get("text") == LABEL, "RELAY-TAP-AS-TEXT",
                 f"a {channel_type} quick reply", f'type "text" with text {LABEL!r}', data)
    expect.webhook_conforms(delivery.body, "RELAY-TAP-AS-TEXT", event="message.received")
