"""The first relay retry at its exact schedule for every event a channel delivers, on every channel: not
before backoff[0] - tolerance, by backoff[0] + tolerance, with the same bytes.

suites/test_relay_retries.py checks the whole schedule, the count and the deadline on one channel with
message.received; a target whose retry queue forgets status events, or one channel type, passes it. The
events come from the contract (suites/enumerations.py EVENTS_BY_CHANNEL), limited to those the simulator's
Meta reports on a channel (Instagram reports read only, Messenger delivered and read).
Spec: fiwano-api.md "Incoming Webhooks / Retries" and "Event Types".

With ``--fiwano-real-time`` (no harness clock) the first message.received case of each channel and one status
event wait for the retry in real time (about 35 s each) and check the interval seen at the sink; the other
cases stay on the harness clock, which keeps a real-time run within its minutes.
"""

from __future__ import annotations

import pytest

from suites.data import secret, user_id
from suites.enumerations import EVENTS_BY_CHANNEL
from suites.support_relay import (configure, emit, retry_on_schedule, retry_policy, same_bytes,  # noqa: F401
                                  sent_message, settled)

# What the simulator's Meta reports per channel (the same table as test_statuses.META_REPORTS).
META_REPORTS = {"whatsapp": ("sent", "delivered", "read", "failed"), "facebook": ("delivered", "read"),
                "instagram": ("read",)}
CASES = [(c, e) for c, events in EVENTS_BY_CHANNEL.items() for e in events
         if e == "message.received" or e.split(".", 1)[1] in META_REPORTS[c]]


REAL_TIME_CASES = ("whatsapp-message.received", "instagram-message.received", "facebook-message.received",
                   "whatsapp-message.delivered")


@pytest.mark.req("RELAY-RETRY-SCHEDULE", "RELAY-RETRY-SAME-BODY", "RELAY-RETRY-NON-2XX")
@pytest.mark.level("controlled", real_time=45, real_time_cases=REAL_TIME_CASES)
@pytest.mark.parametrize("channel_type,event", CASES, ids=[f"{c}-{e}" for c, e in CASES])
def test_first_retry_of_every_event_follows_the_schedule(account, channel, world, channel_type, event, simulator,
                                                         sink, clock, retry_policy, fiwano_config, rng):
    synced = world(channel_type)  # the clock moves the simulator too: Meta's times stay in step
    ch = channel(account(), channel_type, synced)
    endpoint = sink(500)
    if event == "message.received":
        configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": [event]})
        emit(simulator, ch, user_id(channel_type, rng), "text", text="retry me")
    else:
        _, _, meta_id = sent_message(simulator, ch, rng, f"retry the {event} #{rng.randrange(10**6)}")
        configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": [event]})
        status = event.split(".", 1)[1]
        errors = [{"code": 131026, "title": "Message undeliverable"}] if status == "failed" else None
        simulator.emit_status(ch.world.world_id, meta_id, status, errors=errors)
    settled(endpoint, 1, fiwano_config, f"RELAY-RETRY-NON-2XX: first attempt of {event}")

    retry_on_schedule(clock, endpoint, 0, retry_policy, fiwano_config, ch, f"the retry of {event}")

    same_bytes(endpoint.requests, "RELAY-RETRY-SAME-BODY", f"the retry of {event}")
