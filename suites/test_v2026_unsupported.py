"""Profile fiwano-2026-10, changelog 2026-09-14: a WhatsApp message Fiwano does not support arrives as
``type: "unsupported"`` with ``unsupported_type`` naming the real content Meta names (an edit, a poll...).
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import configure, emit, payload_of

CONTENTS = ["edit", "poll_creation", "event_creation"]


@pytest.mark.req("RELAY-UNSUPPORTED-NAMES-TYPE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("content", CONTENTS)
def test_unsupported_whatsapp_message_names_its_content(account, channel, channel_type, sink, simulator,
                                                         fiwano_config, rng, content):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})

    emit(simulator, ch, user_id(channel_type, rng), "unsupported", req="RELAY-UNSUPPORTED-NAMES-TYPE",
         unsupported_type=content)

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                 what=f"RELAY-UNSUPPORTED-NAMES-TYPE: an unsupported {content}")[0]
    data = payload_of(delivery, "RELAY-UNSUPPORTED-NAMES-TYPE").get("data") or {}
    expect.check(data.get("type") == "unsupported" and data.get("unsupported_type") == content,
                 "RELAY-UNSUPPORTED-NAMES-TYPE", f"a WhatsApp {content} Fiwano does not support",
                 f'type "unsupported", unsupported_type {content!r}',
                 {k: data.get(k) for k in ("type", "unsupported_type")})
    expect.webhook_conforms(delivery.body, "RELAY-UNSUPPORTED-NAMES-TYPE", event="message.received")
