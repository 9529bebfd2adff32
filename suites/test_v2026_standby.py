"""Profile fiwano-2026-10, changelog 2026-09 "handover routing": messages of an Instagram or Messenger
conversation that another app controls through Meta's handover protocol (Meta sends them under
``entry[].standby`` instead of ``entry[].messaging``) still arrive as message.received.

The refusal of a send into such a conversation (SEND-STANDBY-REFUSED) is not tested yet.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import configure, emit, payload_of


@pytest.mark.req("RELAY-STANDBY-RECEIVED")
@pytest.mark.level("simulated")
def test_standby_message_is_received(account, channel, channel_type, sink, simulator, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    text = f"written while another app holds the thread #{rng.randrange(10**6)}"

    result = emit(simulator, ch, user_id(channel_type, rng), "text", req="RELAY-STANDBY-RECEIVED", text=text,
                  standby=True)

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                 what="RELAY-STANDBY-RECEIVED: message.received of a standby message")[0]
    payload = payload_of(delivery, "RELAY-STANDBY-RECEIVED")
    data = payload.get("data") or {}
    expect.check(payload.get("event") == "message.received" and data.get("type") == "text"
                 and data.get("text") == text and data.get("message_id") == result.message_id,
                 "RELAY-STANDBY-RECEIVED", f"a {channel_type} message Meta sent on the standby channel",
                 f"message.received, type text, text {text!r}, message_id {result.message_id!r}", payload)
