"""Profile fiwano-2026-10, changelog 2026-10-06 "message.failed on every channel": Instagram and Messenger
channels accept message.failed too, and on every channel a send answered ``queued`` that finally fails is
reported as message.failed (``error`` always, ``errors`` only when Meta caused the failure).

The payloads are checked against the profile's webhook schemas (contract/overlays/fiwano-2026-10/webhooks).
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import ascii_text, secret, user_id
from suites.support_sending import (configure_webhook, drive_retries, open_window, permanent, profile_step,
                                    send_body, transient)

V2026_EVENTS = {
    "whatsapp": ["message.received", "message.sent", "message.delivered", "message.read", "message.failed",
                 "message.echo"],
    "instagram": ["message.received", "message.delivered", "message.read", "message.failed", "message.echo",
                  "conversation.referral"],
    "facebook": ["message.received", "message.delivered", "message.read", "message.failed", "message.echo",
                 "conversation.referral"],
}


def _queued_send(account, channel, channel_type, simulator, rng, sink, faults, req):
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, req)
    endpoint = sink()
    configure_webhook(ch, endpoint.url, ["message.failed"], secret(rng))
    simulator.add_faults(ch.world.world_id, faults)
    text = f"failed-{ascii_text(12, rng)}"
    body = send_body(owner.client.send_text(ch.id, recipient, text), req, "send while Meta answers 503")
    expect.check(body.get("status") == "queued" and expect.UUID_FORMAT.match(str(body.get("message_id"))), req,
                 "send while Meta answers 503", '{"status": "queued", "message_id": "<UUID>"}', body)
    return ch, endpoint, body["message_id"], recipient, text


def _horizon(fiwano_profile) -> float:
    return float(fiwano_profile["send_retry"]["deadline_seconds"]) * 1.5


@pytest.mark.req("WEBHOOK-EVENTS-2026")
@pytest.mark.level("simulated")
def test_event_types_of_the_profile_are_stored(account, channel, channel_type, sink, rng):
    owner = account()
    ch = channel(owner, channel_type)
    wanted = V2026_EVENTS[channel_type]

    response = ch.client.patch_channel(ch.id, {"webhook_url": sink().url, "webhook_secret": secret(rng),
                                               "webhook_events": wanted})

    expect.status(response, 200, "WEBHOOK-EVENTS-2026", f"PATCH webhook_events {wanted}")
    stored = ch.client.get_channel(ch.id).json().get("webhook_events") or []
    expect.check(sorted(stored) == sorted(wanted), "WEBHOOK-EVENTS-2026",
                 f"webhook_events of a {channel_type} channel after PATCH", sorted(wanted), sorted(stored))


@pytest.mark.req("WEBHOOK-EVENTS-UNKNOWN-NAME")
@pytest.mark.level("simulated")
def test_unknown_event_name_is_never_stored(account, channel, channel_type, sink, rng):
    """v1's rule, tested here too because its v1 test also names WEBHOOK-EVENTS-PER-CHANNEL, which this
    profile retires (a test runs only under a profile that holds every requirement it names)."""
    owner = account()
    ch = channel(owner, channel_type)

    response = ch.client.patch_channel(ch.id, {"webhook_url": sink().url, "webhook_secret": secret(rng),
                                               "webhook_events": ["message.received", "message.deleted"]})

    expect.status(response, (200, 400, 422), "WEBHOOK-EVENTS-UNKNOWN-NAME", "PATCH with an unknown event name")
    stored = ch.client.get_channel(ch.id).json().get("webhook_events") or []
    expect.check("message.deleted" not in stored, "WEBHOOK-EVENTS-UNKNOWN-NAME", "stored events",
                 "no message.deleted", stored)


@pytest.mark.req("RELAY-FAILED-QUEUED", "RELAY-FAILED-IGFB")
@pytest.mark.level("controlled")
def test_exhausted_queued_send_is_message_failed(account, channel, channel_type, simulator, clock, sink,
                                                 fiwano_profile, fiwano_config, rng):
    req = "RELAY-FAILED-QUEUED"
    ch, endpoint, message_id, recipient, text = _queued_send(account, channel, channel_type, simulator, rng, sink,
                                                             [transient(status=503, code=2)], req)

    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile))

    arrived = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: message.failed")
    payload = arrived[0].json() or {}
    data = payload.get("data") or {}
    expect.check(payload.get("event") == "message.failed" and data.get("message_id") == message_id
                 and data.get("status") == "failed" and data.get("recipient") == recipient, req,
                 f"webhook after the retries are exhausted on {channel_type}",
                 f"message.failed for {message_id} to {recipient} with status failed", payload)
    expect.check(isinstance(data.get("error"), str) and data["error"].strip(), "RELAY-FAILED-IGFB"
                 if channel_type != "whatsapp" else req, "data.error", "a short text", data.get("error"))
    expect.webhook_conforms(arrived[0].body, req, event="message.failed")


@pytest.mark.req("RELAY-FAILED-ERROR-FIELDS", "RELAY-FAILED-QUEUED")
@pytest.mark.level("controlled")
def test_meta_error_on_a_retry_is_in_errors(account, channel, channel_type, simulator, clock, sink, fiwano_profile,
                                            fiwano_config, rng):
    req = "RELAY-FAILED-ERROR-FIELDS"
    ch, endpoint, message_id, _, text = _queued_send(
        account, channel, channel_type, simulator, rng, sink,
        [transient(status=503, code=2, times=1), permanent(code=100)], req)

    drive_retries(clock, simulator, ch, text, _horizon(fiwano_profile), profile_step(fiwano_profile))

    arrived = endpoint.wait_for(1, fiwano_config.delivery_timeout, what=f"{req}: message.failed")
    data = (arrived[0].json() or {}).get("data") or {}
    expect.check(data.get("message_id") == message_id, "RELAY-FAILED-QUEUED", "message.failed after Meta's code 100",
                 message_id, data.get("message_id"))
    expect.check(isinstance(data.get("error"), str) and data["error"].strip(), req, "data.error", "a short text",
                 data.get("error"))
    errors = data.get("errors")
    expect.check(isinstance(errors, list) and any(isinstance(e, dict) and e.get("code") == 100 for e in errors),
                 req, "data.errors when Meta rejected the retry with code 100", "[{code: 100, title, ...}]", errors)
    expect.webhook_conforms(arrived[0].body, req, event="message.failed")


@pytest.mark.req("RELAY-NO-SENT-IGFB")
@pytest.mark.level("simulated")
def test_instagram_and_messenger_never_emit_sent(account, channel, channel_type, simulator, sink, fiwano_config,
                                                 rng, world, time_synced):
    from suites.support_relay import collect, configure, payload_of, sent_message

    # Meta's clock and the target's agree while the read is reported (Messenger read watermarks, as in
    # test_statuses.py's synced fixture)
    ch = channel(account(), channel_type, world(channel_type))
    endpoint = sink()
    # message.sent is asked for too: ignored or refused, it must never be delivered on these channels
    response = ch.client.patch_channel(ch.id, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                                               "webhook_events": ["message.received", "message.sent", "message.read"]})
    if response.status_code != 200:
        configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                       "webhook_events": ["message.received", "message.read"]})
    _, _, meta_id = sent_message(simulator, ch, rng, "read, never sent")
    simulator.emit_status(ch.world.world_id, meta_id, "read")

    arrived = collect(endpoint, 2, fiwano_config, "RELAY-NO-SENT-IGFB: message.received, then message.read")
    names = [(payload_of(request, "RELAY-NO-SENT-IGFB") or {}).get("event") for request in arrived]
    expect.check("message.sent" not in names and "message.read" in names, "RELAY-NO-SENT-IGFB",
                 f"events of a {channel_type} channel after a send Meta accepted and the user read",
                 "message.read and no message.sent", names)
