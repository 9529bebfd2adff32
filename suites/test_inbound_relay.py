"""Inbound relay: a message a user sends on Meta reaches the customer's webhook as message.received,
signed with the channel's secret, and only when that event is enabled.

Spec: fiwano-api.md "Incoming Webhooks" (Verifying Signatures, Event Types, Payload Format,
message.received per channel). The simulator emits the user's message as a signed Meta webhook to the
target; the sink plays the customer's endpoint and keeps the raw bytes.
"""

from __future__ import annotations

import copy
import json

import pytest

from suites import expect, readings
from suites.data import secret, unicode_text, user_id
from suites.support_relay import collect

SENDER_NAME = "Ada Lovelace"
ENVELOPE = {"event", "channel_id", "channel_type", "timestamp", "data"}


def configure(ch, body: dict) -> dict:
    response = ch.client.patch_channel(ch.id, body)
    return expect.json_object(expect.status(response, 200, "CHANNEL-PATCH-WEBHOOK", "PATCH webhook settings"),
                              "CHANNEL-PATCH-WEBHOOK", "PATCH response")


def emit(simulator, ch, sender: str, text: str):
    """The user writes; the target must accept the signed Meta webhook."""
    result = simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, sender, text, sender_name=SENDER_NAME)
    delivery = result.delivery
    expect.check(200 <= (delivery.status or 0) < 300, "RELAY-RECEIVED-PAYLOAD",
                 "the target's answer to the simulator's signed Meta webhook", "HTTP 2xx",
                 delivery.model_dump() if hasattr(delivery, "model_dump") else delivery)
    return result


@pytest.mark.req("RELAY-RECEIVED-PAYLOAD", "RELAY-FROM-NAME", "RELAY-SIGNATURE", "RELAY-SIGNATURE-UNICODE",
                 "RELAY-POST-JSON", "RELAY-ENVELOPE", "RELAY-ENVELOPE-VALUES", "RELAY-RECEIVED-MESSAGE-ID",
                 "RELAY-TEXT-VERBATIM")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", [  # data.from has a channel-specific rule each
    pytest.param("whatsapp", marks=pytest.mark.req("RELAY-FROM-WA"), id="whatsapp"),
    pytest.param("instagram", marks=pytest.mark.req("RELAY-FROM-IG"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("RELAY-FROM-FB"), id="facebook"),
])
def test_inbound_text_is_relayed_signed(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    key = secret(rng)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": key, "webhook_events": ["message.received"]})
    sender, text = user_id(channel_type, rng), unicode_text(rng)

    result = emit(simulator, ch, sender, text)

    delivery = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-RECEIVED-PAYLOAD: message.received")[0]
    expect.check(delivery.method == "POST" and (delivery.header("content-type") or "").startswith("application/json"),
                 "RELAY-POST-JSON", "delivery request", "POST with Content-Type application/json",
                 f"{delivery.method} with Content-Type {delivery.header('content-type')!r}")
    try:
        payload = delivery.json()
    except ValueError:
        expect.fail("RELAY-POST-JSON", "delivery body", "JSON", delivery.body[:300])
    expect.check(isinstance(payload, dict) and ENVELOPE <= set(payload), "RELAY-ENVELOPE", "top-level fields",
                 f"all of {sorted(ENVELOPE)} (more are allowed)", sorted(payload) if isinstance(payload, dict) else payload)
    readings.accepts("RELAY-ENVELOPE", "exactly-five" if set(payload) == ENVELOPE else "additive",
                     what="top-level fields", seen=sorted(payload))
    envelope = {k: payload.get(k) for k in ("event", "channel_id", "channel_type")}
    expected_envelope = {"event": "message.received", "channel_id": ch.id, "channel_type": channel_type}
    expect.check(envelope == expected_envelope, "RELAY-ENVELOPE-VALUES", "envelope", expected_envelope, payload)
    stamp = payload.get("timestamp")
    expect.check(isinstance(stamp, str) and _iso8601_utc(stamp), "RELAY-ENVELOPE-VALUES", "timestamp",
                 "an ISO-8601 UTC time (Z or +00:00)", repr(stamp))
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    expect.check(data.get("type") == "text", "RELAY-RECEIVED-PAYLOAD", "data.type", "'text'", repr(data.get("type")))
    expect.check(data.get("message_id") == result.message_id, "RELAY-RECEIVED-MESSAGE-ID", "data.message_id",
                 f"Meta's message id {result.message_id!r}", repr(data.get("message_id")))
    expect.check(data.get("text") == text, "RELAY-TEXT-VERBATIM", "data.text", repr(text), repr(data.get("text")))
    from_req = {"whatsapp": "RELAY-FROM-WA", "instagram": "RELAY-FROM-IG", "facebook": "RELAY-FROM-FB"}[channel_type]
    expect.check(data.get("from") == sender, from_req, "data.from", repr(sender), repr(data.get("from")))
    expected_name = SENDER_NAME if channel_type == "whatsapp" else None
    expect.check("from_name" in data and data["from_name"] == expected_name, "RELAY-FROM-NAME",
                 f"data.from_name on {channel_type}", repr(expected_name), repr(data.get("from_name", "<absent>")))
    signature = delivery.header("X-Webhook-Signature")
    expect.check(signature is not None and expect.SIGNATURE_FORMAT.match(signature), "RELAY-SIGNATURE",
                 "X-Webhook-Signature format", "sha256=<64 lower-case hex digits>", repr(signature))
    expect.check(signature == expect.webhook_signature(key, delivery.body), "RELAY-SIGNATURE",
                 "X-Webhook-Signature value", "HMAC-SHA256 of the raw body keyed with the channel's webhook_secret",
                 f"{signature} for {len(delivery.body)} raw bytes")
    expect.webhook_conforms(delivery.body, "RELAY-RECEIVED-PAYLOAD", event="message.received")


@pytest.mark.req("RELAY-SIGNATURE-UNICODE", "RELAY-SIGNATURE")
@pytest.mark.level("simulated")
def test_signature_covers_the_bytes_of_non_ascii_text(account, channel, channel_type, simulator, sink, fiwano_config,
                                                      rng):
    """An ASCII text is the control: a signature that verifies for it but not for emoji / CJK / RTL / escaped
    characters signs something else than the bytes actually sent (e.g. an ASCII-escaped re-serialisation)."""
    ch = channel(account(), channel_type)
    endpoint = sink()
    key = secret(rng)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": key, "webhook_events": ["message.received"]})
    plain, rich = f"plain ascii text #{rng.randrange(10**6)}", unicode_text(rng)
    emit(simulator, ch, user_id(channel_type, rng), plain)
    emit(simulator, ch, user_id(channel_type, rng), rich)

    arrived = endpoint.wait_for(2, fiwano_config.delivery_timeout, what="RELAY-SIGNATURE-UNICODE: two deliveries")
    by_text = {}
    for delivery in arrived:
        try:
            by_text[(delivery.json().get("data") or {}).get("text")] = delivery
        except (ValueError, AttributeError):
            expect.fail("RELAY-POST-JSON", "delivery body", "a JSON object", delivery.body[:300])
    expect.check(set(by_text) == {plain, rich}, "RELAY-TEXT-VERBATIM", "data.text of the two deliveries",
                 sorted([plain, rich]), sorted(map(repr, by_text)))
    for text, req in ((plain, "RELAY-SIGNATURE"), (rich, "RELAY-SIGNATURE-UNICODE")):
        delivery = by_text[text]
        signature = delivery.header("X-Webhook-Signature")
        expect.check(signature == expect.webhook_signature(key, delivery.body), req,
                     f"X-Webhook-Signature of the delivery of {text!r}",
                     "HMAC-SHA256 of the raw body keyed with the channel's webhook_secret",
                     f"{signature} for {len(delivery.body)} raw bytes")


@pytest.mark.req("RELAY-EVENTS-DEFAULT-NONE")
@pytest.mark.level("simulated")
def test_nothing_is_delivered_before_events_are_enabled(account, channel, channel_type, simulator, sink,
                                                        fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng)})

    emit(simulator, ch, user_id(channel_type, rng), unicode_text(rng))

    endpoint.assert_none_within(fiwano_config.quiet_seconds,
                                what="RELAY-EVENTS-DEFAULT-NONE: webhook_url set, webhook_events never set")


@pytest.mark.req("RELAY-EVENTS-ONLY-ENABLED", "WEBHOOK-SECRET-KEPT")
@pytest.mark.level("simulated")
def test_only_enabled_events_are_delivered(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    sender, key = user_id(channel_type, rng), secret(rng)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": key, "webhook_events": ["message.delivered"]})
    emit(simulator, ch, sender, "while only message.delivered is enabled")
    endpoint.assert_none_within(fiwano_config.quiet_seconds,
                                what="RELAY-EVENTS-ONLY-ENABLED: message.received not enabled")

    configure(ch, {"webhook_events": ["message.received"]})
    emit(simulator, ch, sender, "while message.received is enabled")
    arrived = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                what="RELAY-EVENTS-ONLY-ENABLED: message.received once enabled")
    texts = [r.json().get("data", {}).get("text") for r in arrived]
    expect.check(texts == ["while message.received is enabled"], "RELAY-EVENTS-ONLY-ENABLED",
                 "deliveries after enabling message.received", "only the message sent while enabled", texts)
    expect.check(arrived[0].header("X-Webhook-Signature") == expect.webhook_signature(key, arrived[0].body),
                 "WEBHOOK-SECRET-KEPT", "signature after PATCHes without webhook_secret",
                 "HMAC with the secret set first", arrived[0].header("X-Webhook-Signature"))

    configure(ch, {"webhook_events": []})
    emit(simulator, ch, sender, "after the empty list")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=len(arrived),
                                what="RELAY-EVENTS-ONLY-ENABLED: webhook_events set to []")


@pytest.mark.req("WEBHOOK-SECRET-ROTATION", "RELAY-SIGNATURE")
@pytest.mark.level("simulated")
def test_new_secret_signs_the_next_delivery(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    old_key, new_key = secret(rng), secret(rng)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": old_key, "webhook_events": ["message.received"]})
    emit(simulator, ch, user_id(channel_type, rng), "before rotation")
    first = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="WEBHOOK-SECRET-ROTATION: first delivery")[0]

    configure(ch, {"webhook_secret": new_key})
    emit(simulator, ch, user_id(channel_type, rng), "after rotation")
    second = endpoint.wait_for(2, fiwano_config.delivery_timeout, what="WEBHOOK-SECRET-ROTATION: second delivery")[1]

    expect.check(first.header("X-Webhook-Signature") == expect.webhook_signature(old_key, first.body),
                 "RELAY-SIGNATURE", "signature before rotation", "HMAC with the first secret",
                 first.header("X-Webhook-Signature"))
    expect.check(second.header("X-Webhook-Signature") == expect.webhook_signature(new_key, second.body),
                 "WEBHOOK-SECRET-ROTATION", "signature of the next delivery after PATCHing a new secret",
                 "HMAC with the new secret",
                 "HMAC with the old secret" if second.header("X-Webhook-Signature") == expect.webhook_signature(
                     old_key, second.body) else second.header("X-Webhook-Signature"))


@pytest.mark.req("CHANNEL-DELETE-NO-RELAY", "CHANNEL-INACTIVE-NO-RELAY")
@pytest.mark.level("simulated")
def test_deleted_channel_is_not_relayed(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    expect.status(ch.client.delete_channel(ch.id), (200, 204), "CHANNEL-DELETE-NO-RELAY", "DELETE the channel")

    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), "after delete")

    endpoint.assert_none_within(fiwano_config.quiet_seconds, what="CHANNEL-DELETE-NO-RELAY: inbound after DELETE")


@pytest.mark.req("RELAY-ISOLATION")
@pytest.mark.level("simulated")
def test_events_go_only_to_their_channel(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    mine, theirs = channel(account(), channel_type), channel(account(), channel_type)
    my_endpoint, their_endpoint = sink(), sink()
    my_key = secret(rng)
    configure(mine, {"webhook_url": my_endpoint.url, "webhook_secret": my_key, "webhook_events": ["message.received"]})
    configure(theirs, {"webhook_url": their_endpoint.url, "webhook_secret": secret(rng),
                       "webhook_events": ["message.received"]})

    emit(simulator, mine, user_id(channel_type, rng), "for my channel only")

    delivery = my_endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-ISOLATION: my delivery")[0]
    expect.check(delivery.header("X-Webhook-Signature") == expect.webhook_signature(my_key, delivery.body),
                 "RELAY-ISOLATION", "signature of my channel's event", "HMAC with my channel's secret",
                 delivery.header("X-Webhook-Signature"))
    their_endpoint.assert_none_within(fiwano_config.quiet_seconds,
                                      what="RELAY-ISOLATION: the other channel's webhook URL")


@pytest.mark.req("RELAY-2XX-ONCE")
@pytest.mark.level("simulated")
def test_a_2xx_answer_is_final(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink(201, 204)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})

    emit(simulator, ch, user_id(channel_type, rng), "answered 201")
    emit(simulator, ch, user_id(channel_type, rng), "answered 204")

    arrived = endpoint.wait_for(2, fiwano_config.delivery_timeout, what="RELAY-2XX-ONCE: two deliveries")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=2,
                                what="RELAY-2XX-ONCE: repeats of deliveries answered 201/204")
    expect.check(len(arrived) == 2, "RELAY-2XX-ONCE", "deliveries", 2, len(arrived))


@pytest.mark.req("META-WEBHOOK-SIGNATURE-CHECKED")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("signature", ["wrong", "missing"])
def test_meta_webhook_without_valid_signature_is_refused(account, channel, channel_type, simulator, sink,
                                                         fiwano_config, rng, signature):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})

    result = simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), "text",
                                    text="forged", signature=signature)

    expect.check(result.delivery.status is not None and 400 <= result.delivery.status < 500,
                 "META-WEBHOOK-SIGNATURE-CHECKED", f"the target's answer to a Meta webhook with a {signature} signature",
                 "a 4xx refusal", result.delivery.model_dump())
    endpoint.assert_none_within(fiwano_config.quiet_seconds,
                                what=f"META-WEBHOOK-SIGNATURE-CHECKED: relay of a webhook with a {signature} signature")


@pytest.mark.req("META-WEBHOOK-DEDUPE")
@pytest.mark.level("simulated")
def test_duplicate_meta_webhook_is_relayed_once(account, channel, channel_type, simulator, sink, fiwano_config, rng):
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})

    simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), "text",
                           text="sent twice by Meta", copies=2)

    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="META-WEBHOOK-DEDUPE: the first copy")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=1,
                                what="META-WEBHOOK-DEDUPE: the same Meta event relayed again")


@pytest.mark.req("RELAY-RECEIVED-PAYLOAD", "RELAY-RECEIVED-MESSAGE-ID", "RELAY-RECEIVED-USERS-ONLY")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_a_message_after_an_echo_in_one_meta_webhook_is_relayed(account, channel, channel_type, simulator, sink,
                                                                fiwano_config, rng):
    """Messenger and Instagram put the page's own messages (``is_echo``) in the same ``messaging[]`` list as the
    users' messages. The echo is no message from a user, so it is no message.received (found by the mutation
    audit: a target relaying echoes as if the user wrote them passed), and the user's message after it in the
    same webhook is relayed (a target that stopped at the echo dropped the rest of the entry)."""
    ch = channel(account(), channel_type)
    endpoint = sink()
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    first = simulator.emit_inbound(ch.world.world_id, ch.asset.asset_id, user_id(channel_type, rng), "text",
                                   text="before the batch")
    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-RECEIVED-PAYLOAD: the first message")
    expect.check(isinstance(first.payload, dict) and (first.payload.get("entry") or [{}])[0].get("messaging"),
                 "RELAY-RECEIVED-PAYLOAD", "the simulator's Meta webhook of the first message",
                 "a Meta payload with entry[0].messaging", first.payload)
    tag = rng.randrange(10**9)
    batch = copy.deepcopy(first.payload)
    entry = batch["entry"][0]
    user = copy.deepcopy(entry["messaging"][0])
    echo = {**copy.deepcopy(user), "sender": user["recipient"], "recipient": user["sender"],
            "message": {"mid": f"m_echo{tag}", "text": f"sent by the page {tag}", "is_echo": True}}
    user["message"] = {"mid": f"m_user{tag}", "text": f"after the echo {tag}"}
    entry["messaging"] = [echo, user]

    delivery = simulator.emit_raw_webhook(ch.world.world_id, batch)

    expect.check(delivery.ok, "RELAY-RECEIVED-PAYLOAD", "the target's answer to Meta's echo + message webhook",
                 "HTTP 2xx", delivery.model_dump())
    relayed = collect(endpoint, 2, fiwano_config, "RELAY-RECEIVED-USERS-ONLY: the user's message after the echo")
    ids = [(json.loads(r.body).get("data") or {}).get("message_id") for r in relayed[1:]]
    expect.check(ids == [f"m_user{tag}"], "RELAY-RECEIVED-USERS-ONLY",
                 "message.received after a webhook holding the page's echo, then a user's message",
                 f"exactly the user's message m_user{tag} (the echo m_echo{tag} is no message from a user)", ids)


def _iso8601_utc(value: str) -> bool:
    """A webhook timestamp: every payload of the docs prints Z, so here (unlike REST) the offset is required."""
    parsed = readings.parse_timestamp(value)
    return (parsed is not None and readings.timestamp_reading(value) == "explicit-offset"
            and parsed.utcoffset().total_seconds() == 0)


@pytest.mark.req("META-WEBHOOK-VERIFY")
@pytest.mark.level("simulated")
def test_meta_verification_request_echoes_the_challenge_only_for_the_verify_token(simulator):
    """Meta's GET handshake, made by the simulator against the target's Meta webhook URL: the app's verify token
    gets 200 with exactly the challenge; any other token (another one, one character more or less, another
    case, none) gets no 2xx and no echo."""
    token = str(simulator.get_app().get("verify_token") or "")
    ok = simulator.verify_webhook()
    expect.check(ok.get("status") == 200 and ok.get("verified") is True, "META-WEBHOOK-VERIFY",
                 f"GET {ok.get('url')}?hub.mode=subscribe&hub.verify_token=<the app's>&hub.challenge={ok.get('challenge')}",
                 f"200 with the body {ok.get('challenge')!r}", f"{ok.get('status')} {ok.get('body')!r} {ok.get('error') or ''}")

    wrong = {"another token": "not-the-" + token, "one character more": token + "x",
             "one character less": token[:-1], "another case": token.swapcase(), "empty": ""}
    echoed = {}
    for what, value in wrong.items():
        if value == token:
            continue
        answer = simulator.verify_webhook(verify_token=value)
        status = answer.get("status")
        if status is None or 200 <= status < 300 or answer.get("challenge", "") in str(answer.get("body") or ""):
            echoed[what] = f"{status} {str(answer.get('body'))[:80]!r} {answer.get('error') or ''}"
    expect.check(not echoed, "META-WEBHOOK-VERIFY", "the handshake with a token that is not the app's verify token",
                 "a refusal (no 2xx) without the challenge in the body", echoed)
