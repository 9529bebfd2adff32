"""POST /api/v1/messages/send beyond the text limits: required fields, recipients per channel, message ids
in status webhooks, permanent Meta errors, malformed Meta answers and the unit of the text limit.

Spec: fiwano-api.md "Sending Messages" (POST /api/v1/messages/send, Text length limits & errors, Behavior on
transient vs permanent Meta errors), "Channel Capabilities" (recipient format) and "Incoming Webhooks /
Delivery Status Tracking". South side: the simulator's journal and the messages it accepted.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import EVENTS_BY_CHANNEL, ascii_text, secret, user_id
from suites.support_sending import (NOTICE_PERMANENT, accepted_for, calls_for, configure_webhook, meta_sends,
                                    notices_of, open_window, permanent, recipient_of, record_reading, rule, send_body,
                                    wait_for_events)


@pytest.mark.req("SEND-REQUIRED-FIELDS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("case", ["no-channel_id", "no-recipient", "no-text", "text-number", "recipient-list",
                                  "channel_id-null", "text-object", "empty-object", "array-body"])
def test_missing_or_mistyped_field_is_refused(account, channel, channel_type, simulator, rng, case):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-REQUIRED-FIELDS")
    good = {"channel_id": ch.id, "recipient": recipient, "text": "hello"}
    body = {
        "no-channel_id": {k: v for k, v in good.items() if k != "channel_id"},
        "no-recipient": {k: v for k, v in good.items() if k != "recipient"},
        "no-text": {k: v for k, v in good.items() if k != "text"},
        "text-number": {**good, "text": 12345},
        "recipient-list": {**good, "recipient": [recipient]},
        "channel_id-null": {**good, "channel_id": None},
        "text-object": {**good, "text": {"body": "hello"}},
        "empty-object": {},
        "array-body": [good],
    }[case]

    response = owner.client.request("POST", "/messages/send", json=body)

    expect.check(400 <= response.status_code < 500, "SEND-REQUIRED-FIELDS", f"send with {case}",
                 "a 4xx validation error", expect.describe(response))
    expect.error_detail(response, "SEND-REQUIRED-FIELDS", f"{case} error body", string=False)
    expect.check(not meta_sends(simulator, ch), "SEND-REQUIRED-FIELDS", "calls to Meta's send endpoint", "none",
                 [e.path for e in meta_sends(simulator, ch)])


@pytest.mark.req("SEND-TEXT-OK", "CAP-REPLY-TO-FROM")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", [
    pytest.param("whatsapp", marks=pytest.mark.req("SEND-RECIPIENT-WA", "RELAY-FROM-WA"), id="whatsapp"),
    pytest.param("instagram", marks=pytest.mark.req("SEND-RECIPIENT-IG", "RELAY-FROM-IG"), id="instagram"),
    pytest.param("facebook", marks=pytest.mark.req("SEND-RECIPIENT-FB", "RELAY-FROM-FB"), id="facebook"),
])
def test_reply_goes_to_the_sender_of_the_inbound_webhook(account, channel, channel_type, simulator, sink,
                                                         fiwano_config, rng):
    req = {"whatsapp": "SEND-RECIPIENT-WA", "instagram": "SEND-RECIPIENT-IG",
           "facebook": "SEND-RECIPIENT-FB"}[channel_type]
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_webhook(ch, endpoint.url, ["message.received"], secret(rng))
    who = user_id(channel_type, rng)
    simulator.emit_inbound_text(ch.world.world_id, ch.asset.asset_id, who, "hi")
    received = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: message.received")[0]
    sender = ((received.json() or {}).get("data") or {}).get("from")
    relay_req = {"whatsapp": "RELAY-FROM-WA", "instagram": "RELAY-FROM-IG", "facebook": "RELAY-FROM-FB"}[channel_type]
    expect.check(sender == who, relay_req, "data.from of the relayed message",
                 f"the sender's id as Meta gave it ({who!r})", sender)
    text = f"reply {ascii_text(10, rng)}"

    body = send_body(owner.client.send_text(ch.id, sender, text), req, "reply to data.from")

    expect.check(body.get("success") is True, req, "send answer", '{"success": true, ...}', body)
    calls = calls_for(simulator, ch, text)
    expect.check([recipient_of(c) for c in calls] == [sender], req, "recipient Meta was asked to deliver to",
                 [sender], [recipient_of(c) for c in calls])
    accepted = accepted_for(simulator, ch, text)
    expect.check([m.recipient for m in accepted] == [sender], req, "recipient of the message Meta accepted", [sender],
                 [m.recipient for m in accepted])
    expect.check([str(m.recipient).lstrip("+") for m in accepted] == [who], "CAP-REPLY-TO-FROM",
                 "recipient of the reply to data.from that Meta accepted", f"the user who wrote ({who})",
                 [m.recipient for m in accepted])


@pytest.mark.req("SEND-RECIPIENT-WA")
@pytest.mark.level("simulated")
def test_whatsapp_recipient_is_the_phone_number_without_plus(account, channel, simulator, rng):
    owner = account()
    ch = channel(owner, "whatsapp")
    number = user_id("whatsapp", rng)
    open_window(simulator, ch, number, "SEND-RECIPIENT-WA")
    text = f"to {number}"

    send_body(owner.client.send_text(ch.id, number, text), "SEND-RECIPIENT-WA", "send to digits")

    to = [recipient_of(c).lstrip("+") for c in calls_for(simulator, ch, text)]
    expect.check(to == [number], "SEND-RECIPIENT-WA", "'to' of the WhatsApp send", [number], to)


def _status_plan(channel_type: str) -> list[tuple[str, str]]:
    """(Meta status to emit, Fiwano event expected) in order, per channel."""
    return {"whatsapp": [("sent", "message.sent"), ("delivered", "message.delivered"), ("read", "message.read")],
            "facebook": [("delivered", "message.delivered"), ("read", "message.read")],
            "instagram": [("read", "message.read")]}[channel_type]


@pytest.mark.req("SEND-MESSAGE-ID-STATUS")
@pytest.mark.level("simulated")
def test_status_webhooks_carry_the_send_uuid(account, channel, channel_type, simulator, sink, time_synced, fiwano_config,
                                            rng):
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_webhook(ch, endpoint.url, [e for e in EVENTS_BY_CHANNEL[channel_type] if e != "message.received"],
                      secret(rng))
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-MESSAGE-ID-STATUS")
    text = f"status {ascii_text(10, rng)}"
    body = send_body(owner.client.send_text(ch.id, recipient, text), "SEND-MESSAGE-ID-STATUS", "send")
    message_id = body.get("message_id")
    expect.check(expect.UUID_FORMAT.match(str(message_id)), "SEND-MESSAGE-ID-STATUS", "message_id", "a UUID", body)
    meta_id = accepted_for(simulator, ch, text)[0].message_id

    for meta_status, _ in _status_plan(channel_type):
        simulator.emit_status(ch.world.world_id, meta_id, meta_status)
    wanted = {event for _, event in _status_plan(channel_type)}
    wait_for_events(endpoint, wanted, fiwano_config.delivery_timeout, "SEND-MESSAGE-ID-STATUS: status webhooks")
    seen = {}
    for request in endpoint.requests:
        payload = request.json() or {}
        seen.setdefault(payload.get("event"), []).append((payload.get("data") or {}).get("message_id"))
    expect.check(wanted <= set(seen), "SEND-MESSAGE-ID-STATUS", "status events delivered", sorted(wanted), seen)
    wrong = {event: ids for event, ids in seen.items() if any(i != message_id for i in ids)}
    expect.check(not wrong, "SEND-MESSAGE-ID-STATUS", "data.message_id of every status webhook",
                 f"the send's UUID {message_id}", wrong)


@pytest.mark.req("SEND-MESSAGE-ID-STATUS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
def test_failed_status_webhook_carries_the_send_uuid(account, channel, channel_type, simulator, sink, fiwano_config,
                                                     rng):
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_webhook(ch, endpoint.url, ["message.failed"], secret(rng))
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-MESSAGE-ID-STATUS")
    text = f"fails {ascii_text(10, rng)}"
    message_id = send_body(owner.client.send_text(ch.id, recipient, text), "SEND-MESSAGE-ID-STATUS",
                           "send").get("message_id")

    simulator.emit_status(ch.world.world_id, accepted_for(simulator, ch, text)[0].message_id, "failed")

    payload = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                what="SEND-MESSAGE-ID-STATUS: message.failed")[0].json()
    expect.check(payload.get("event") == "message.failed" and payload["data"].get("message_id") == message_id,
                 "SEND-MESSAGE-ID-STATUS", "message.failed webhook", f"data.message_id {message_id}", payload)


@pytest.mark.req("SEND-MESSAGE-ID-STATUS")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["whatsapp"])
def test_status_webhook_names_the_message_it_is_about(account, channel, channel_type, simulator, sink,
                                                      fiwano_config, rng):
    """Two texts to one recipient: Meta's status for the first names the first UUID, not the latest send."""
    owner = account()
    ch = channel(owner, channel_type)
    endpoint = sink()
    configure_webhook(ch, endpoint.url, ["message.delivered"], secret(rng))
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-MESSAGE-ID-STATUS")
    first_text, second_text = f"first {ascii_text(10, rng)}", f"second {ascii_text(10, rng)}"
    first = send_body(owner.client.send_text(ch.id, recipient, first_text), "SEND-MESSAGE-ID-STATUS",
                      "first send").get("message_id")
    second = send_body(owner.client.send_text(ch.id, recipient, second_text), "SEND-MESSAGE-ID-STATUS",
                       "second send to the same recipient").get("message_id")
    expect.check(first != second, "SEND-MESSAGE-ID-STATUS", "message ids of the two sends", "distinct",
                 [first, second])

    simulator.emit_status(ch.world.world_id, accepted_for(simulator, ch, first_text)[0].message_id, "delivered")

    payload = endpoint.wait_for(1, fiwano_config.delivery_timeout,
                                what="SEND-MESSAGE-ID-STATUS: message.delivered of the first send")[0].json() or {}
    expect.check(payload.get("event") == "message.delivered"
                 and (payload.get("data") or {}).get("message_id") == first, "SEND-MESSAGE-ID-STATUS",
                 "message.delivered webhook for the first of two sends to one recipient",
                 f"data.message_id {first} (not the later send {second})", payload)


@pytest.mark.req("SEND-MESSAGE-ID-UNIQUE")
@pytest.mark.level("simulated")
def test_every_send_gets_a_new_message_id(account, channel, channel_type, simulator, rng):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-MESSAGE-ID-UNIQUE")
    simulator.add_faults(ch.world.world_id, [rule({"kind": "http_error", "status": 503, "code": 2}, times=1)])

    ids = []
    for index in range(5):  # the first one is queued (503), the others accepted; the same text twice
        body = send_body(owner.client.send_text(ch.id, recipient, "same text" if index < 4 else "other"),
                         "SEND-MESSAGE-ID-UNIQUE", f"send #{index + 1}")
        ids.append(body.get("message_id"))

    expect.check(all(expect.UUID_FORMAT.match(str(i)) for i in ids), "SEND-MESSAGE-ID-UNIQUE", "message ids",
                 "UUIDs", ids)
    expect.check(len(set(ids)) == len(ids), "SEND-MESSAGE-ID-UNIQUE", "message ids of 5 sends", "5 distinct ids", ids)


@pytest.mark.req("SEND-PERMANENT-FAILED", "SEND-PERMANENT-NO-RETRY", "SEND-PERMANENT-NOTICE")
@pytest.mark.level("controlled")
def test_permanent_meta_error_fails_at_once_without_retry(account, channel, channel_type, simulator, clock, harness,
                                                          fiwano_profile, rng):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-PERMANENT-FAILED")
    simulator.add_faults(ch.world.world_id, [permanent(code=fiwano_profile["meta_error_codes"]
                                                       ["permanent_invalid_parameter"])])
    text = f"permanent {ascii_text(10, rng)}"

    body = send_body(owner.client.send_text(ch.id, recipient, text), "SEND-PERMANENT-FAILED",
                     "send while Meta answers code 100")
    notified = notices_of(harness, owner, (NOTICE_PERMANENT,))
    clock.advance(float(fiwano_profile["send_retry"]["deadline_seconds"]) * 1.5, worlds=(ch.world,))

    expect.check(body.get("success") is False and body.get("status") == "failed"
                 and isinstance(body.get("error"), str) and body["error"].strip(), "SEND-PERMANENT-FAILED",
                 "send answer", '{"success": false, "status": "failed", "error": "<non-empty>"}', body)
    calls = calls_for(simulator, ch, text)
    expect.check(len(calls) == 1, "SEND-PERMANENT-NO-RETRY", "calls to Meta after a permanent error (and 30 min)",
                 "exactly 1", [(c.status, c.virtual_time) for c in calls])
    expect.check(len(notified) == 1 and notified[0].get("channel_id") in (None, ch.id), "SEND-PERMANENT-NOTICE",
                 "owner notices right after the send", f"one {NOTICE_PERMANENT!r} notice", notified)


@pytest.mark.req("SEND-PERMANENT-FAILED", "SEND-PERMANENT-NO-RETRY")
@pytest.mark.level("simulated")
def test_text_meta_counts_too_long_is_a_permanent_failure(account, channel, channel_type, simulator, world,
                                                          fiwano_profile, rng):
    """Meta counts bytes (Instagram's own page says "1000 bytes"): text Fiwano accepted is refused by Meta."""
    limit = fiwano_profile["text_max_chars"][channel_type]
    owner = account()
    seeded = world(channel_type)
    simulator.set_options(seeded.world_id, text_length_unit="bytes")
    ch = channel(owner, channel_type, world=seeded)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-PERMANENT-FAILED")
    text = "é" * limit  # `limit` characters, 2 × limit bytes

    body = send_body(owner.client.send_text(ch.id, recipient, text), "SEND-PERMANENT-FAILED",
                     f"send {limit} two-byte characters that Meta finds too long")

    expect.check(body.get("success") is False and body.get("status") == "failed", "SEND-PERMANENT-FAILED",
                 "send answer after Meta's code 100", '{"success": false, "status": "failed", ...}', body)
    expect.check(len(calls_for(simulator, ch, text)) == 1, "SEND-PERMANENT-NO-RETRY", "calls to Meta", "exactly 1",
                 len(calls_for(simulator, ch, text)))


GARBAGE = {
    "invalid-json": {"kind": "malformed_body", "status": 200},
    "invalid-json-processed": {"kind": "malformed_body", "status": 200, "processed": True},
    "no-message-id": {"kind": "malformed_body", "status": 200, "body": '{"ok": true}'},
    "html-502": {"kind": "http_error", "status": 502, "html": True},
    "empty-500": {"kind": "malformed_body", "status": 500, "body": ""},
}


@pytest.mark.req("SEND-META-GARBAGE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("garbage", list(GARBAGE))
def test_malformed_meta_answer_is_never_a_5xx(account, channel, channel_type, simulator, rng, garbage):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-META-GARBAGE")
    simulator.add_faults(ch.world.world_id, [rule(GARBAGE[garbage], times=1)])

    response = owner.client.send_text(ch.id, recipient, f"garbage {garbage}")

    expect.check(response.status_code < 500, "SEND-META-GARBAGE", f"send while Meta answers {garbage}",
                 "no 5xx (success, queued or failed)", expect.describe(response))
    expect.json_object(response, "SEND-META-GARBAGE", "send answer")


UNITS = ("code-points", "utf16-units", "utf8-bytes", "graphemes", "nfc-code-points")
# per unit: (code points, UTF-16 units, UTF-8 bytes, graphemes, NFC code points) of each building block
EMOJI, COMBINING, SKIN = "\U0001F600", "e\u0301", "\U0001F44D\U0001F3FD"
BLOCKS = {EMOJI: (1, 2, 4, 1, 1), COMBINING: (2, 2, 3, 1, 1), SKIN: (2, 4, 8, 1, 2)}


def _counts(parts: dict[str, int]) -> dict[str, int]:
    return {unit: sum(BLOCKS[b][i] * n for b, n in parts.items()) for i, unit in enumerate(UNITS)}


@pytest.mark.req("SEND-TEXT-LENGTH-UNIT")
@pytest.mark.level("simulated")
def test_text_limit_unit_is_consistent(account, channel, channel_type, simulator, fiwano_profile, rng,
                                       record_property):
    limit = fiwano_profile["text_max_chars"][channel_type]
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-LENGTH-UNIT")
    probe = {EMOJI: limit + 1, COMBINING: 1, SKIN: 1}  # over the limit in every unit, a distinct count in each
    counts = _counts(probe)
    assert len(set(counts.values())) == len(UNITS) and min(counts.values()) > limit

    over = owner.client.send_text(ch.id, recipient, EMOJI * (limit + 1) + COMBINING + SKIN)

    expect.status(over, 400, "SEND-TEXT-LENGTH-UNIT", "send a text over the limit in every unit")
    detail = expect.error_detail(over, "SEND-TEXT-LENGTH-UNIT", "400 body", string=False)
    actual = detail.get("actual_length") if isinstance(detail, dict) else None
    units = [u for u, n in counts.items() if n == actual]
    expect.check(len(units) == 1, "SEND-TEXT-LENGTH-UNIT", "actual_length of the probe",
                 f"the probe's length in one unit: {counts}", actual)
    unit = units[0]
    record_reading(record_property, "SEND-TEXT-LENGTH-UNIT", unit)
    per_emoji = BLOCKS[EMOJI][UNITS.index(unit)]
    at_limit = EMOJI * (limit // per_emoji)
    one_more = at_limit + "a"

    fits = owner.client.send_text(ch.id, recipient, at_limit)
    beyond = owner.client.send_text(ch.id, recipient, one_more)

    expect.check(fits.status_code == 200 and fits.json().get("success") is True, "SEND-TEXT-LENGTH-UNIT",
                 f"{limit // per_emoji} emoji = {limit} {unit} (exactly the limit in the unit actual_length used)",
                 "accepted (200, success true)", expect.describe(fits))
    beyond_detail = beyond.json().get("detail") if beyond.status_code == 400 else None
    expect.check(isinstance(beyond_detail, dict) and beyond_detail.get("actual_length") == limit + 1,
                 "SEND-TEXT-LENGTH-UNIT", f"the limit + 1 {unit}",
                 f"400 text_too_long with actual_length {limit + 1}", expect.describe(beyond))
