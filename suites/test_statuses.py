"""Delivery statuses: what Meta reports about a sent message reaches the customer under the send's UUID.

Spec: fiwano-api.md "Delivery Status Tracking" (the UUID of the send answer is used in all status webhooks),
"Event Types" (sent and failed on WhatsApp only; delivered and read on all channels), "message.delivered /
message.read (all channels)" and "message.failed (WhatsApp)". North: the send answer's message_id; south:
the message Meta accepted (its Meta id), then the status webhooks the simulator sends as Meta; east: the
status events at the sink, in the order they arrived.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import ALL_EVENTS, EVENTS_BY_CHANNEL, secret, user_id
from suites.support_relay import collect, configure, meta_id_of, payload_of, send, sent_message
from suites.support_sending import (FIRST_SEND_RETRY_BUDGET, drive_retries, open_window, permanent, profile_step,
                                    transient)

# What Meta reports per channel (the simulator refuses the others): the statuses each test emits.
META_REPORTS = {"whatsapp": ("sent", "delivered", "read"), "facebook": ("delivered", "read"), "instagram": ("read",)}
RANK = {"sent": 0, "delivered": 1, "read": 2}


def status_channel(account, channel, channel_type, sink, rng, events, synced):
    ch = channel(account(), channel_type, synced)
    endpoint = sink()
    ch.webhook_secret = secret(rng)  # the status deliveries are signed with it like any other (RELAY-SIGNATURE)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": ch.webhook_secret, "webhook_events": list(events)})
    return ch, endpoint


@pytest.fixture
def synced(world, time_synced, channel_type):
    """This test's simulator world, while Meta's clock and the target's agree (Messenger read watermarks
    compare Meta's time with the time the target sent): ``time_synced`` keeps other workers' clock moves out
    of the test at the controlled level; below it nobody moves time."""
    return world(channel_type)


def meta_reports(simulator, ch, meta_id: str, status: str, **fields):
    result = simulator.emit_status(ch.world.world_id, meta_id, status, **fields)
    expect.check(result.delivery.ok, "RELAY-DELIVERED-READ", f"the target's answer to Meta's {status} webhook",
                 "HTTP 2xx", result.delivery.model_dump())
    return result


def events_of(requests, req: str) -> list[tuple[str, dict]]:
    out = []
    for request in requests:
        payload = payload_of(request, req)
        out.append((payload.get("event"), payload["data"]))
    return out


def check_legal_order(events: list[tuple[str, dict]], req: str) -> None:
    """Per message, statuses reach the customer in their order (sent, delivered, read) and never go back."""
    last: dict[str, tuple[int, str]] = {}
    for _event, data in events:
        status = data.get("status")
        if status not in RANK:
            continue
        previous = last.get(data.get("message_id"))
        expect.check(previous is None or previous[0] < RANK[status], req,
                     f"order of the status events of message {data.get('message_id')}",
                     "sent, delivered, read, each at most once and never backwards",
                     [e for e, d in events if d.get("message_id") == data.get("message_id")])
        last[data.get("message_id")] = (RANK[status], status)


@pytest.mark.req("RELAY-STATUS-PAYLOAD", "RELAY-STATUS-RECIPIENT", "RELAY-DELIVERED-READ", "RELAY-SIGNATURE")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", [
    pytest.param("whatsapp", marks=pytest.mark.req("RELAY-SENT-WA"), id="whatsapp"),
    pytest.param("instagram", id="instagram"),
    pytest.param("facebook", id="facebook"),
])
def test_status_events_carry_the_send_uuid(account, channel, channel_type, simulator, sink, fiwano_config, rng, synced):
    ch, endpoint = status_channel(account, channel, channel_type, sink, rng,
                                  [e for e in EVENTS_BY_CHANNEL[channel_type] if e != "message.received"], synced)
    recipient, uuid, meta_id = sent_message(simulator, ch, rng, f"status me #{rng.randrange(10**6)}")
    reported = META_REPORTS[channel_type]

    for status in reported:
        meta_reports(simulator, ch, meta_id, status)

    expected = ["message.delivered", "message.read"] if channel_type == "instagram" else \
        [f"message.{s}" for s in reported]
    arrived = endpoint.wait_for(len(expected), fiwano_config.delivery_timeout,
                                what=f"{'RELAY-SENT-WA / ' if channel_type == 'whatsapp' else ''}RELAY-DELIVERED-READ: "
                                     f"{', '.join(expected)} on {channel_type}")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=len(expected),
                                what="RELAY-STATUS-PAYLOAD: more status events than Meta reported")
    events = events_of(endpoint.requests, "RELAY-STATUS-PAYLOAD")
    check_legal_order(events, "RELAY-DELIVERED-READ")
    names = [e for e, _ in events]
    if channel_type == "instagram":  # Meta reports only the read; a delivered may be implied before it
        expect.check(names in (["message.read"], ["message.delivered", "message.read"]), "RELAY-DELIVERED-READ",
                     "events of an Instagram read", "message.read (after an implied message.delivered)", names)
    else:
        expect.check(names == expected, "RELAY-DELIVERED-READ" if channel_type != "whatsapp" else "RELAY-SENT-WA",
                     f"events of {', '.join(reported)} on {channel_type}", expected, names)
    for (event, data), request in zip(events, arrived, strict=False):
        status = event.split(".", 1)[1]
        wanted = {"message_id": uuid, "status": status, "recipient": recipient}
        seen = {k: data.get(k) for k in wanted}
        expect.check(seen["message_id"] == uuid, "RELAY-STATUS-PAYLOAD", f"data.message_id of {event}",
                     f"the send's UUID {uuid!r}",
                     f"Meta's id {meta_id!r}" if seen["message_id"] == meta_id else repr(seen["message_id"]))
        expect.check(seen["status"] == status, "RELAY-STATUS-PAYLOAD", f"data.status of {event}", repr(status),
                     repr(seen["status"]))
        expect.check(seen["recipient"] == recipient, "RELAY-STATUS-RECIPIENT", f"data.recipient of {event}",
                     repr(recipient), repr(seen["recipient"]))
        expect.webhook_conforms(request.body, "RELAY-STATUS-PAYLOAD", event=event)
        expect.check(request.header("X-Webhook-Signature") == expect.webhook_signature(ch.webhook_secret, request.body),
                     "RELAY-SIGNATURE", f"X-Webhook-Signature of {event}",
                     "sha256=<HMAC-SHA256 of the raw body with the channel's secret>",
                     request.header("X-Webhook-Signature"))


@pytest.mark.req("RELAY-FAILED-WA")
@pytest.mark.level("simulated")
def test_whatsapp_failure_is_message_failed(account, channel, channel_type, simulator, sink, fiwano_config, rng,
                                            synced):
    ch, endpoint = status_channel(account, channel, channel_type, sink, rng, ["message.failed"], synced)
    recipient, uuid, meta_id = sent_message(simulator, ch, rng, "this one will fail")
    errors = [{"code": 131026, "title": "Message undeliverable"}]

    meta_reports(simulator, ch, meta_id, "failed", errors=errors)

    request = endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-FAILED-WA: message.failed")[0]
    payload = payload_of(request, "RELAY-FAILED-WA")
    data = payload["data"]
    expect.check(payload.get("event") == "message.failed", "RELAY-FAILED-WA", "event", "'message.failed'", payload)
    seen = {k: data.get(k) for k in ("message_id", "recipient", "status")}
    wanted = {"message_id": uuid, "recipient": recipient, "status": "failed"}
    expect.check(seen == wanted, "RELAY-FAILED-WA", "data of message.failed", wanted, data)
    expect.check(isinstance(data.get("error"), str) and data["error"].strip(), "RELAY-FAILED-WA", "data.error",
                 "a description of the failure", data)
    got = [{"code": e.get("code"), "title": e.get("title")} for e in data.get("errors") or [] if isinstance(e, dict)]
    expect.check(got == errors, "RELAY-FAILED-WA", "data.errors", f"Meta's errors {errors}", data.get("errors"))
    expect.webhook_conforms(request.body, "RELAY-FAILED-WA", event="message.failed")


@pytest.mark.req("RELAY-NO-SENT-FAILED-IGFB", "RELAY-DELIVERED-READ")
@pytest.mark.level("controlled", real_time=FIRST_SEND_RETRY_BUDGET)  # in real time: waits for the first send retry
def test_instagram_and_messenger_never_emit_sent_or_failed(account, channel, channel_type, simulator, sink,
                                                           fiwano_config, fiwano_profile, clock, rng, synced):
    ch = channel(account(), channel_type, synced)
    endpoint = sink()
    # Ask for every event name; a target that refuses the WhatsApp-only ones gets the channel's own list.
    every = list(ALL_EVENTS)
    response = ch.client.patch_channel(ch.id, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                                               "webhook_events": every})
    if response.status_code != 200:
        configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng),
                       "webhook_events": list(EVENTS_BY_CHANNEL[channel_type])})
    recipient, uuid, meta_id = sent_message(simulator, ch, rng, "delivered and read, never sent")
    for status in META_REPORTS[channel_type]:
        meta_reports(simulator, ch, meta_id, status)
    stranger = user_id(channel_type, rng)  # never wrote: Meta refuses the send (24-hour window)
    ch.client.send_text(ch.id, stranger, "outside the window")
    # A send Meta first answers 503 and then refuses during the retries: on WhatsApp it ends as message.failed;
    # on Instagram and Facebook nothing may reach the customer for it.
    doomed = f"refused during the retries #{rng.randrange(10**6)}"
    simulator.add_faults(ch.world.world_id, [transient(status=503, code=2, times=1), permanent(code=100, times=1)])
    ch.client.send_text(ch.id, recipient, doomed)
    drive_retries(clock, simulator, ch, doomed, float(fiwano_profile["send_retry"]["deadline_seconds"]),
                  profile_step(fiwano_profile), until=lambda trace: len(trace.calls) >= 2)

    arrived = collect(endpoint, 2, fiwano_config, "RELAY-DELIVERED-READ: message.received, then the statuses")
    names = [e for e, _ in events_of(arrived, "RELAY-NO-SENT-FAILED-IGFB")]
    expect.check(not {"message.sent", "message.failed"} & set(names), "RELAY-NO-SENT-FAILED-IGFB",
                 f"events of a {channel_type} channel (a send accepted, delivered and read; a send refused; a send "
                 "refused during its retries)",
                 "no message.sent and no message.failed", names)
    expect.check("message.read" in names, "RELAY-DELIVERED-READ",
                 f"events after Meta reported a read on {channel_type}", "message.read", names)


@pytest.mark.req("RELAY-DELIVERED-READ", "RELAY-STATUS-PAYLOAD")
@pytest.mark.level("simulated")
@pytest.mark.parametrize("channel_type", ["instagram", "facebook"])
def test_read_covers_earlier_messages(account, channel, channel_type, simulator, sink, fiwano_config, rng, synced):
    """Messenger and Instagram report reading up to a message (watermark / last seen mid): every message sent to
    that user before it is read too, and each reaches the customer as message.read, after its delivered."""
    ch, endpoint = status_channel(account, channel, channel_type, sink, rng, ["message.delivered", "message.read"],
                                  synced)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "SEND-TEXT-OK")
    texts = [f"first #{rng.randrange(10**6)}", f"second #{rng.randrange(10**6)}"]
    uuids = [send(ch, recipient, text) for text in texts]
    last_meta_id = meta_id_of(simulator, ch, recipient, texts[-1])

    meta_reports(simulator, ch, last_meta_id, "read")

    arrived = collect(endpoint, 2, fiwano_config, "RELAY-DELIVERED-READ: reads of both messages")
    events = events_of(arrived, "RELAY-DELIVERED-READ")
    read = sorted(d.get("message_id") for e, d in events if e == "message.read")
    expect.check(read == sorted(uuids), "RELAY-DELIVERED-READ",
                 f"message.read after a {channel_type} read of the later of two messages to one user",
                 f"one message.read for each of {uuids}", [(e, d.get("message_id")) for e, d in events])
    check_legal_order(events, "RELAY-DELIVERED-READ")


@pytest.mark.req("RELAY-EVENTS-ONLY-ENABLED", "RELAY-STATUS-PAYLOAD")
@pytest.mark.level("simulated")
def test_only_enabled_status_events_are_delivered(account, channel, channel_type, simulator, sink, fiwano_config,
                                                  rng, synced):
    ch, endpoint = status_channel(account, channel, channel_type, sink, rng, ["message.read"], synced)
    _, uuid, meta_id = sent_message(simulator, ch, rng, "only the read is wanted")

    for status in META_REPORTS[channel_type]:
        meta_reports(simulator, ch, meta_id, status)

    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-EVENTS-ONLY-ENABLED: message.read")
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=1,
                                what="RELAY-EVENTS-ONLY-ENABLED: status events that were not enabled")
    events = [(e, d.get("message_id")) for e, d in events_of(endpoint.requests, "RELAY-EVENTS-ONLY-ENABLED")]
    expect.check(events == [("message.read", uuid)], "RELAY-EVENTS-ONLY-ENABLED",
                 "events with only message.read enabled", [("message.read", uuid)], events)
