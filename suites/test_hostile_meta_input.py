"""Hostile but signed Meta webhooks: one unusable entry in a batch must not cost the rest of it.

Meta batches several events in one signed POST and retries a batch it got no 2xx for. A gateway that answers
a 500 to one unusable entry (a NaN timestamp, a lone surrogate, an unknown type, ...) loses every later entry
of that batch, and Meta retries it for ever. The simulator emits one batch ``[good text 1, hostile entry, good
text 2]`` (``SimulatorClient.emit_hostile_webhook``, docs/simulator.md); the target must answer 2xx or 4xx and
relay both good messages exactly once. What it does with the hostile entry itself (skip it, relay it with the
clock's time, ...) is its own business. A signed body that is no JSON object at all (truncated, invalid UTF-8,
empty, an array) gets the same answer rule, and the channel's next message is still relayed. Requirements: META-WEBHOOK-HOSTILE-ANSWER,
META-WEBHOOK-HOSTILE-ENTRY-ISOLATED (SHOULD: the docs do not speak of batches) and META-WEBHOOK-DEDUPE.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.support_relay import collect

ENTRY_KINDS = ["nan_timestamp", "infinite_timestamp", "huge_timestamp", "negative_timestamp", "string_timestamp",
               "lone_surrogate", "unknown_fields", "unknown_types", "deep_nesting", "oversized"]
CHANNELS = ["whatsapp", "instagram", "facebook"]


def _relay_to_sink(ch, sink, rng):
    endpoint = sink()
    response = ch.client.patch_channel(ch.id, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                                              "webhook_events": ["message.received"]})
    expect.status(response, 200, "CHANNEL-PATCH-WEBHOOK", "PATCH webhook settings")
    return endpoint


def _answer_checked(result) -> None:
    status = result.delivery.status
    expect.check(status is not None and 200 <= status < 500, "META-WEBHOOK-HOSTILE-ANSWER",
                 f"the target's answer to a signed Meta batch with a {result.kind} entry",
                 "2xx, or a 4xx Meta does not retry for ever (never 5xx, never no answer)",
                 result.delivery.model_dump())


def _good_messages_relayed_once(endpoint, result, fiwano_config, req: str) -> None:
    what = f"{req}: the two good messages of a batch with a {result.kind} entry"
    arrived = collect(endpoint, 2, fiwano_config, what)
    by_id: dict[str, list] = {}
    for request in arrived:
        try:
            data = request.json().get("data") or {}
        except (ValueError, AttributeError):
            continue
        by_id.setdefault(data.get("message_id"), []).append(data)
    for message_id, text in zip(result.good_message_ids, result.good_texts, strict=True):
        found = by_id.get(message_id, [])
        expect.check(len(found) == 1, req, f"message.received for good message {message_id} ({result.kind} batch)",
                     "exactly one delivery", f"{len(found)} of {len(arrived)} deliveries: "
                     + "; ".join(r.describe(200) for r in arrived))
        expect.check(found[0].get("text") == text, req, f"data.text of good message {message_id}", repr(text),
                     repr(found[0].get("text")))


@pytest.mark.req("META-WEBHOOK-HOSTILE-ANSWER", "META-WEBHOOK-HOSTILE-ENTRY-ISOLATED")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", CHANNELS)
@pytest.mark.parametrize("kind", ENTRY_KINDS)
def test_hostile_entry_does_not_cost_the_rest_of_the_batch(account, channel, channel_type, kind, simulator, sink,
                                                           fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = _relay_to_sink(ch, sink, rng)

    result = simulator.emit_hostile_webhook(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), kind)

    _answer_checked(result)
    _good_messages_relayed_once(endpoint, result, fiwano_config, "META-WEBHOOK-HOSTILE-ENTRY-ISOLATED")


@pytest.mark.req("META-WEBHOOK-HOSTILE-ANSWER", "META-WEBHOOK-DEDUPE")
@pytest.mark.level("controlled")
@pytest.mark.parametrize("channel_type", CHANNELS)
def test_same_message_twice_in_one_batch_is_relayed_once(account, channel, channel_type, simulator, sink,
                                                         fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = _relay_to_sink(ch, sink, rng)

    result = simulator.emit_hostile_webhook(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng),
                                            "duplicate_entries")

    _answer_checked(result)
    _good_messages_relayed_once(endpoint, result, fiwano_config, "META-WEBHOOK-DEDUPE")


UNPARSEABLE_BODIES = {
    "truncated": b'{"object":"whatsapp_business_account","entry":[{"id":"1","time":17',
    "invalid_utf8": b'{"object":"\xff\xfe","entry":[]}',
    "empty": b"",
    "array": b"[]",
    "json_string": b'"EVENT_RECEIVED"',
    "null": b"null",
}


@pytest.mark.req("META-WEBHOOK-HOSTILE-ANSWER")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("kind", list(UNPARSEABLE_BODIES))
def test_signed_body_that_is_no_json_object_is_answered_without_a_5xx(account, channel, kind, simulator, sink,
                                                                       fiwano_config, rng):
    """A 3xx would be as wrong as a 5xx: Meta counts anything but 2xx as a failed delivery and retries it."""
    ch = channel(account(), "whatsapp")
    endpoint = _relay_to_sink(ch, sink, rng)

    delivery = simulator.emit_raw_body(ch.world.world_id, UNPARSEABLE_BODIES[kind])

    status = delivery.status
    expect.check(status is not None and (200 <= status < 300 or 400 <= status < 500), "META-WEBHOOK-HOSTILE-ANSWER",
                 f"the target's answer to a signed Meta webhook whose body is {kind!r}",
                 "2xx, or a 4xx (never 3xx, 5xx or no answer)", delivery.model_dump())
    text = f"after a {kind} body {rng.randrange(10**9)}"
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, user_id("whatsapp", rng), text)
    arrived = collect(endpoint, 1, fiwano_config, f"META-WEBHOOK-HOSTILE-ANSWER: the message after a {kind} body")
    texts = [((r.json().get("data") or {}).get("text")) for r in arrived]
    expect.check(texts == [text], "META-WEBHOOK-HOSTILE-ANSWER", "message.received after the unparseable body",
                 [text], texts)
