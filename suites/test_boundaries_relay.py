"""The first relay retry at its exact schedule for every event a channel delivers, on every channel: not
before backoff[0] - tolerance, by backoff[0] + tolerance, with the same bytes.

suites/test_relay_retries.py checks the whole schedule, the count and the deadline on one channel with
message.received; a target whose retry queue forgets status events, or one channel type, passes it. The
events come from the contract (suites/enumerations.py EVENTS_BY_CHANNEL), limited to those the simulator's
Meta reports on a channel (Instagram reports read only, Messenger delivered and read).
Spec: fiwano-api.md "Incoming Webhooks / Retries" and "Event Types".
"""

from __future__ import annotations

import pytest

from suites.data import secret, user_id
from suites.enumerations import EVENTS_BY_CHANNEL
from suites.support_relay import (configure, emit, retry_policy, same_bytes, sent_message,  # noqa: F401
                                  settled)

# What the simulator's Meta reports per channel (the same table as test_statuses.META_REPORTS).
META_REPORTS = {"whatsapp": ("sent", "delivered", "read", "failed"), "facebook": ("delivered", "read"),
                "instagram": ("read",)}
CASES = [(c, e) for c, events in EVENTS_BY_CHANNEL.items() for e in events
         if e == "message.received" or e.split(".", 1)[1] in META_REPORTS[c]]


@pytest.mark.req("RELAY-RETRY-SCHEDULE", "RELAY-RETRY-SAME-BODY", "RELAY-RETRY-NON-2XX")
@pytest.mark.level("controlled")
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
    gap, tol = retry_policy.gap(0), retry_policy.tolerance
    settled(endpoint, 1, fiwano_config, f"RELAY-RETRY-NON-2XX: first attempt of {event}")

    clock.advance(gap - tol, worlds=(ch.world,))
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=1,
                                what=f"RELAY-RETRY-SCHEDULE: retry of {event} earlier than {gap:g} s - {tol:g} s")
    clock.advance(2 * tol, worlds=(ch.world,))
    settled(endpoint, 2, fiwano_config, f"RELAY-RETRY-SCHEDULE: retry of {event} by {gap:g} s + {tol:g} s")

    same_bytes(endpoint.requests, "RELAY-RETRY-SAME-BODY", f"the retry of {event}")
