"""Relay retries: what counts as a failed delivery to the customer's endpoint, and how it is retried.

Spec: fiwano-api.md "Incoming Webhooks / Retry Policy" (non-2xx or unreachable -> retried; 2xx within 5 s;
7 retries over ~20 minutes) and reliability-security.md §7 "Webhook delivery & retries". The sink plays the
customer's endpoint with scripted answers; the schedule is walked on the target's virtual clock (controlled
level), never by sleeping, except with ``--fiwano-real-time`` on a target without a harness: then the tests
of the first retry (``real_time=45``: backoff[0] + tolerance and a bit) and the schedule's first two retries
wait for them and read their instants off the sink. Numbers come from the profile's ``relay_retry`` block.
"""

from __future__ import annotations

import pytest

from suites import expect
from suites.data import secret, user_id
from suites.sink import Drop, Reply
from suites.support_relay import (RetryPolicy, configure, emit, relay_channel_type, retried,  # noqa: F401
                                  retry_on_schedule, retry_policy, same_bytes, settled, untrusted_sink_server)


def failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng, *script):
    """A channel whose webhook endpoint answers ``script``; one inbound message is emitted."""
    ch = channel(account(), relay_channel_type)
    endpoint = sink(*script)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    emit(simulator, ch, user_id(relay_channel_type, rng), "text", text="retry me")
    return ch, endpoint


@pytest.mark.req("RELAY-RETRY-NON-2XX", "RELAY-RETRY-SAME-BODY")
@pytest.mark.level("controlled", real_time=45)  # the first backoff (30 s) + tolerance (5 s) and a bit
@pytest.mark.parametrize("status", [300, 400, 404, 410, 429, 500])  # 300: the first status past 2xx
def test_non_2xx_answer_is_retried_with_the_same_bytes(account, channel, relay_channel_type, simulator, sink, clock,
                                                       retry_policy, fiwano_config, rng, status):
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng, status)
    settled(endpoint, 1, fiwano_config, "RELAY-RETRY-NON-2XX: first attempt")

    attempts = retried(clock, endpoint, 2, retry_policy.gap(0), retry_policy, fiwano_config, ch,
                       f"RELAY-RETRY-NON-2XX: retry after an HTTP {status} answer")
    same_bytes(attempts, "RELAY-RETRY-SAME-BODY", f"retry after HTTP {status}")


@pytest.mark.req("RELAY-2XX-ONCE", "RELAY-RETRY-NON-2XX")
@pytest.mark.level("controlled")
def test_any_2xx_answer_is_final(account, channel, relay_channel_type, simulator, sink, clock, retry_policy,
                                 fiwano_config, rng):
    statuses = (200, 201, 204, 299)
    ch = channel(account(), relay_channel_type)
    endpoint = sink(*statuses)
    configure(ch, {"webhook_url": endpoint.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    for status in statuses:
        emit(simulator, ch, user_id(relay_channel_type, rng), "text", text=f"answered {status}")
        settled(endpoint, statuses.index(status) + 1, fiwano_config, f"RELAY-2XX-ONCE: delivery answered {status}")
    answers = "/".join(str(s) for s in statuses)

    # First where a retry of a failed delivery would be due (the deadline abandons retries not made by then,
    # so jumping straight past it would hide a target that takes a non-200 2xx for a failure).
    clock.advance(retry_policy.gap(0) + retry_policy.tolerance, worlds=(ch.world,))
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=len(statuses),
                                what=f"RELAY-2XX-ONCE: a delivery answered {answers} retried after the first "
                                     f"backoff ({retry_policy.gap(0):g} s)")

    clock.advance(retry_policy.deadline + retry_policy.tolerance, worlds=(ch.world,))

    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=len(statuses),
                                what=f"RELAY-2XX-ONCE: a delivery answered {answers} sent again")


@pytest.mark.req("RELAY-RETRY-TIMEOUT", "RELAY-RETRY-SAME-BODY")
@pytest.mark.level("controlled", real_time=45)
def test_answer_slower_than_the_timeout_is_retried(account, channel, relay_channel_type, simulator, sink, clock,
                                                   retry_policy, fiwano_config, rng):
    # The one place real time matters: the sink holds its 200 just beyond the documented response timeout.
    hold = retry_policy.timeout + 1
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng,
                                    Reply(200, delay=hold))
    endpoint.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-RETRY-TIMEOUT: first attempt")
    endpoint.assert_none_within(hold, already=1, what="RELAY-RETRY-TIMEOUT: a retry while the first attempt is open")

    attempts = retried(clock, endpoint, 2, retry_policy.gap(0), retry_policy, fiwano_config, ch,
                       f"RELAY-RETRY-TIMEOUT: retry after a 200 that came {hold:g} s late "
                       f"(timeout {retry_policy.timeout:g} s)", late=hold)
    same_bytes(attempts, "RELAY-RETRY-SAME-BODY", "retry after a timeout")


@pytest.mark.req("RELAY-RETRY-UNREACHABLE", "RELAY-RETRY-SAME-BODY")
@pytest.mark.level("controlled", real_time=45)
def test_dropped_connection_is_retried(account, channel, relay_channel_type, simulator, sink, clock, retry_policy,
                                       fiwano_config, rng):
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng, Drop())
    settled(endpoint, 1, fiwano_config, "RELAY-RETRY-UNREACHABLE: first attempt")

    attempts = retried(clock, endpoint, 2, retry_policy.gap(0), retry_policy, fiwano_config, ch,
                       "RELAY-RETRY-UNREACHABLE: retry after the connection was dropped unanswered")
    same_bytes(attempts, "RELAY-RETRY-SAME-BODY", "retry after a dropped connection")


REAL_TIME_RETRIES = 2  # in real time the first two retries (30 + 60 s); the rest of the 20 minutes needs the harness


@pytest.mark.req("RELAY-RETRY-SCHEDULE", "RELAY-RETRY-SAME-BODY")
@pytest.mark.level("controlled", real_time=120)  # in real time: backoff[0] + backoff[1] + tolerance and a bit
def test_retries_follow_the_schedule(account, channel, relay_channel_type, simulator, sink, clock, retry_policy,
                                     fiwano_config, evidence, rng):
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng,
                                    *[500] * (retry_policy.max_retries + 1))
    settled(endpoint, 1, fiwano_config, "RELAY-RETRY-SCHEDULE: first attempt")
    walked = retry_policy.max_retries
    if clock.real_time:
        walked = min(walked, REAL_TIME_RETRIES)
        evidence.note(f"real time: the first {walked} of {retry_policy.max_retries} retries walked; the later ones "
                      "need the harness clock")

    for n in range(walked):
        retry_on_schedule(clock, endpoint, n, retry_policy, fiwano_config, ch, f"retry {n + 1}")

    same_bytes(endpoint.requests, "RELAY-RETRY-SAME-BODY", "every retry of one event")


@pytest.mark.req("RELAY-RETRY-MAX")
@pytest.mark.level("controlled")
def test_at_most_max_retries(account, channel, relay_channel_type, simulator, sink, clock, retry_policy,
                             fiwano_config, rng):
    attempts = retry_policy.max_retries + 1
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng, *[500] * (attempts + 5))
    settled(endpoint, 1, fiwano_config, "RELAY-RETRY-MAX: first attempt")
    for n in range(retry_policy.max_retries):
        clock.advance(retry_policy.gap(n) + retry_policy.tolerance, worlds=(ch.world,))
        settled(endpoint, n + 2, fiwano_config, f"RELAY-RETRY-MAX: retry {n + 1}")

    clock.advance(retry_policy.gap(retry_policy.max_retries) + retry_policy.tolerance, worlds=(ch.world,))
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=attempts,
                                what=f"RELAY-RETRY-MAX: retry {attempts} (at most {retry_policy.max_retries} retries)")
    clock.advance(retry_policy.deadline, worlds=(ch.world,))
    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=attempts,
                                what=f"RELAY-RETRY-MAX: any attempt after {attempts}")


@pytest.mark.req("RELAY-RETRY-DEADLINE")
@pytest.mark.level("controlled")
def test_no_attempt_after_the_deadline(account, channel, relay_channel_type, simulator, sink, clock, retry_policy,
                                       fiwano_config, rng):
    # Clock steps longer than any gap: every step finds a retry due, which runs late. Two steps stay inside the
    # deadline (0.8 of it); the third lands past it (1.2), where no attempt may be made any more.
    step = 0.4 * retry_policy.deadline
    assert step >= max(retry_policy.backoff) + retry_policy.tolerance and 2 < retry_policy.max_retries, \
        "profile: the deadline test needs steps longer than every gap and at least 3 retries"
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng, *[500] * 20)
    seen = len(settled(endpoint, 1, fiwano_config, "RELAY-RETRY-DEADLINE: first attempt"))
    for n in (1, 2):
        clock.advance(step, worlds=(ch.world,))
        seen = len(settled(endpoint, seen + 1, fiwano_config,
                           f"RELAY-RETRY-DEADLINE: a retry {n * step:g} s after the first attempt, "
                           f"within the {retry_policy.deadline:g} s deadline"))

    clock.advance(step, worlds=(ch.world,))

    endpoint.assert_none_within(fiwano_config.quiet_seconds, already=seen,
                                what=f"RELAY-RETRY-DEADLINE: an attempt {3 * step:g} s after the first "
                                     f"(deadline {retry_policy.deadline:g} s)")


@pytest.mark.req("RELAY-REDIRECT-NOT-FOLLOWED")
@pytest.mark.level("controlled", real_time=45)
@pytest.mark.parametrize("status", [302, 307])
def test_redirect_is_a_failure_and_not_followed(account, channel, relay_channel_type, simulator, sink, clock,
                                                retry_policy, fiwano_config, rng, status):
    elsewhere = sink()
    ch, endpoint = failing_endpoint(account, channel, relay_channel_type, simulator, sink, rng,
                                    Reply(status, headers=(("location", elsewhere.url),)))
    settled(endpoint, 1, fiwano_config, "RELAY-REDIRECT-NOT-FOLLOWED: first attempt")
    elsewhere.assert_none_within(fiwano_config.quiet_seconds,
                                 what=f"RELAY-REDIRECT-NOT-FOLLOWED: the Location of an HTTP {status} followed")

    retried(clock, endpoint, 2, retry_policy.gap(0), retry_policy, fiwano_config, ch,
            f"RELAY-REDIRECT-NOT-FOLLOWED: an HTTP {status} counts as a failure and is retried")
    expect.check(not elsewhere.requests, "RELAY-REDIRECT-NOT-FOLLOWED", "requests at the Location URL", "none",
                 elsewhere.evidence())


@pytest.mark.req("RELAY-TLS-VERIFIED")
@pytest.mark.level("simulated")
def test_untrusted_certificate_gets_nothing(account, channel, relay_channel_type, simulator, sink,
                                            untrusted_sink_server, evidence, cleanups, fiwano_config, rng):
    ch = channel(account(), relay_channel_type)
    trusted = sink()
    configure(ch, {"webhook_url": trusted.url, "webhook_secret": secret(rng), "webhook_events": ["message.received"]})
    emit(simulator, ch, user_id(relay_channel_type, rng), "text", text="to the trusted endpoint")
    trusted.wait_for(1, fiwano_config.delivery_timeout, what="RELAY-TLS-VERIFIED: control delivery (kit CA)")

    untrusted = untrusted_sink_server.endpoint()
    evidence.add_east(f"untrusted-CA sink endpoint {untrusted.path}", untrusted.evidence)
    cleanups.append(untrusted.close)
    configure(ch, {"webhook_url": untrusted.url})
    emit(simulator, ch, user_id(relay_channel_type, rng), "text", text="to a certificate of an unknown CA")

    untrusted.assert_none_within(fiwano_config.quiet_seconds,
                                 what="RELAY-TLS-VERIFIED: a delivery to an endpoint whose certificate no trusted CA "
                                      "signed")
