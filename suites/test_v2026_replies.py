"""Profile fiwano-2026-10, changelog 2026-09-14 "shares, taps, replies" (the replies): a message replying to
another carries ``reply_to.message_id``, the id the customer already holds for the replied message: the
Fiwano message_id of a send made through the API, or the provider id it received in message.received.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret
from suites.support_relay import configure, emit, payload_of, sent_message


def _context(meta_id: str) -> dict[str, str]:
    """Meta's reference to the replied message: WhatsApp's context.id, Instagram/Messenger's reply_to.mid."""
    return {"id": meta_id, "message_id": meta_id}


def _relayed(account, channel, channel_type, sink, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    return ch, endpoint


def _received(endpoint, count, fiwano_config, what):
    arrived = endpoint.wait_for(count, fiwano_config.delivery_timeout, what=f"RELAY-REPLY-TO: {what}")
    return [payload_of(request, "RELAY-REPLY-TO").get("data") or {} for request in arrived]


@pytest.mark.req("RELAY-REPLY-TO")
@pytest.mark.level("simulated")
def test_reply_to_a_send_names_its_fiwano_message_id(account, channel, channel_type, sink, simulator, fiwano_config,
                                                     rng):
    ch, endpoint = _relayed(account, channel, channel_type, sink, rng)
    recipient, uuid, meta_id = sent_message(simulator, ch, rng, f"will you reply? #{rng.randrange(10**6)}")

    emit(simulator, ch, recipient, "text", req="RELAY-REPLY-TO", text="yes, replying", context=_context(meta_id))

    replies = [d for d in _received(endpoint, 2, fiwano_config, "the first message and the reply")
               if d.get("text") == "yes, replying"]
    reply_to = (replies[0] if replies else {}).get("reply_to")
    expect.check(isinstance(reply_to, dict) and reply_to.get("message_id") == uuid, "RELAY-REPLY-TO",
                 f"reply_to of a {channel_type} reply to a message sent through the API",
                 {"message_id": uuid}, reply_to)


@pytest.mark.req("RELAY-REPLY-TO")
@pytest.mark.level("simulated")
def test_reply_to_a_received_message_names_the_id_it_was_received_with(account, channel, channel_type, sink,
                                                                        simulator, fiwano_config, rng):
    from suites.data import user_id

    ch, endpoint = _relayed(account, channel, channel_type, sink, rng)
    sender = user_id(channel_type, rng)
    first = emit(simulator, ch, sender, "text", req="RELAY-REPLY-TO", text="the first message")
    received_first = _received(endpoint, 1, fiwano_config, "the first message")[0]

    emit(simulator, ch, sender, "text", req="RELAY-REPLY-TO", text="about my first message",
         context=_context(first.message_id))

    replies = [d for d in _received(endpoint, 2, fiwano_config, "the reply")
               if d.get("text") == "about my first message"]
    reply_to = (replies[0] if replies else {}).get("reply_to")
    expect.check(isinstance(reply_to, dict) and reply_to.get("message_id") == received_first.get("message_id"),
                 "RELAY-REPLY-TO", f"reply_to of a {channel_type} reply to a message the customer received",
                 {"message_id": received_first.get("message_id")}, reply_to)
