"""Profile fiwano-2026-10, changelog 2026-09 "handover routing": messages of an Instagram or Messenger
conversation that another app controls through Meta's handover protocol (Meta sends them under
``entry[].standby`` instead of ``entry[].messaging``) still arrive as message.received, and a send into such a conversation (Meta: code 10, subcode 2018300, "another
app is controlling this thread") is refused with an answer that names the handover, so that the caller knows
what to do (SEND-STANDBY-REFUSED: a 4xx with that detail, or 200 with success false and that error; Meta's own
message, which does not name it, is the generic error the changelog replaces).
"""

from __future__ import annotations

import pytest

from suites import expect, readings
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


@pytest.mark.req("SEND-STANDBY-REFUSED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_send_into_a_standby_conversation_names_the_handover(account, channel, channel_type, simulator, rng):
    ch = channel(account(), channel_type)
    user = user_id(channel_type, rng)
    emit(simulator, ch, user, "text", req="SEND-STANDBY-REFUSED", text="asking the other app", standby=True)

    response = ch.client.send_text(ch.id, user, f"can we help? #{rng.randrange(10**6)}")

    what = f"a send into a {channel_type} conversation another app controls"
    body = expect.json_object(response, "SEND-STANDBY-REFUSED", what)
    if 400 <= response.status_code < 500:
        reading, said = "client-error", body.get("detail")
    else:
        expect.check(response.status_code == 200 and body.get("success") is False, "SEND-STANDBY-REFUSED", what,
                     'a 4xx, or 200 with "success": false', expect.describe(response))
        reading, said = "failed-result", body.get("error")
    readings.accepts("SEND-STANDBY-REFUSED", reading, what=what, seen=response.status_code)
    expect.check("handover" in str(said).lower(), "SEND-STANDBY-REFUSED", f"{what}: what the answer says",
                 "a text that names the handover (Meta's handover protocol), not only Meta's generic error", said)
