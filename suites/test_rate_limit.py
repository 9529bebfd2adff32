"""Rate limits: L requests per minute per API key (the profile's ``rate_limit``); 429 with ``{"detail"}`` and
Retry-After beyond it, per key, without side effects, and served again once the window has passed. What the
limit counts comes from the profile too (suites/support_rate_limits.py): every request under v1, sends only
under fiwano-2026-10 (whose other operations have the 20/s request limit, suites/test_v2026_request_limit.py).

Spec: fiwano-api.md "Errors & Rate Limits / Rate Limits" and the 429 row of "HTTP Status Codes"; burst and
pacing shapes from reliability-security.md §1.4. Every test burns a FRESH key (a new account or a new key of
its own account), so no other test is throttled; time moves with the ``clock`` fixture, never by sleeping
(except with ``--fiwano-real-time`` on a target without a harness: the window tests then wait it out).
"""

from __future__ import annotations


import pytest

from suites import expect, readings
from suites.data import user_id
from suites.support_rate_limits import Spender, limit_of, retry_after_within
from suites.support_sending import meta_sends, open_window

# Every test here counts 429s: their clients must see each one, never wait it out.
pytestmark = pytest.mark.counts_429



_limit = limit_of


def _burst(spend: Spender, count: int, api_key=None) -> list:
    """``count`` requests the limit counts, as fast as possible; the answers in order."""
    return [spend(api_key) for _ in range(count)]


def _exhaust(spend: Spender, limit: int, api_key=None):
    """Spend a fresh key's budget: at most 2L + 1 requests, stopping at the first 429. Returns the 429."""
    for index in range(2 * limit + 1):
        response = spend(api_key)
        if response.status_code == 429:
            return response, index + 1
        expect.status(response, 200, "RATE-LIMIT-429", f"request #{index + 1} of a burst (200 or 429)")
    expect.fail("RATE-LIMIT-429", f"a burst of {2 * limit + 1} requests from a fresh key", "at least one 429",
                "none")


def _retry_after_seconds(response) -> float | None:
    """The delay a Retry-After asks for (delay-seconds or HTTP-date, suites/readings.py), None if unreadable."""
    found = readings.retry_after(response)
    return None if found is None else found[0]


@pytest.mark.req("RATE-LIMIT-429", "RATE-LIMIT-BODY")
@pytest.mark.level("api")
def test_burst_over_the_limit_gets_429(account, fiwano_profile, request):
    limit, window = _limit(fiwano_profile)
    owner = account()
    spend = Spender(request, owner, fiwano_profile)

    answers = _burst(spend, 2 * limit + 1)

    statuses = [r.status_code for r in answers]
    throttled = [r for r in answers if r.status_code == 429]
    expect.check(throttled, "RATE-LIMIT-429", f"{2 * limit + 1} {spend.kind} from a fresh key within seconds "
                 f"(limit {limit}/{window:.0f} s)", "at least one 429",
                 {s: statuses.count(s) for s in set(statuses)})
    expect.check(set(statuses) <= {200, 429}, "RATE-LIMIT-429", "statuses of the burst", "200 or 429 only",
                 {s: statuses.count(s) for s in set(statuses)})
    for response in throttled[:3]:
        detail = expect.error_detail(response, "RATE-LIMIT-BODY", "429 body", string=False)
        expect.check(detail not in (None, "", [], {}), "RATE-LIMIT-BODY", "429 detail", "a non-empty detail", detail)
        expect.check((response.headers.get("content-type") or "").startswith("application/json"), "RATE-LIMIT-BODY",
                     "429 Content-Type", "application/json", response.headers.get("content-type"))


@pytest.mark.req("RATE-LIMIT-RETRY-AFTER")
@pytest.mark.level("api")
def test_429_carries_a_valid_retry_after(account, fiwano_profile, request):
    limit, window = _limit(fiwano_profile)
    owner = account()

    throttled, _ = _exhaust(Spender(request, owner, fiwano_profile), limit)

    value = throttled.headers.get("Retry-After")
    expect.check(value is not None, "RATE-LIMIT-RETRY-AFTER", "Retry-After on a 429", "present",
                 dict(throttled.headers))
    retry_after_within(throttled, window, "RATE-LIMIT-RETRY-AFTER", "Retry-After value")


@pytest.mark.req("RATE-LIMIT-PER-KEY")
@pytest.mark.level("controlled", reason="needs the harness to mint a second key of one account")
def test_exhausting_one_key_does_not_throttle_another(account, fiwano_profile, request):
    limit, _ = _limit(fiwano_profile)
    owner = account()
    other_key, _ = owner.new_key()  # the same account: the limit counts per key
    stranger = account()
    spend, foreign_spend = Spender(request, owner, fiwano_profile), Spender(request, stranger, fiwano_profile)

    _exhaust(spend, limit)

    same = spend()
    other = spend(other_key)
    foreign = foreign_spend()
    expect.status(same, 429, "RATE-LIMIT-PER-KEY", "the exhausted key again (control)")
    expect.status(other, 200, "RATE-LIMIT-PER-KEY", "another key of the same account")
    expect.status(foreign, 200, "RATE-LIMIT-PER-KEY", "a key of another account")


@pytest.mark.req("RATE-LIMIT-RECOVERY")
@pytest.mark.level("controlled", real_time=150)  # two rate-limit windows and a bit
def test_key_is_served_again_after_the_window(account, clock, fiwano_profile, request):
    limit, window = _limit(fiwano_profile)
    owner = account()
    spend = Spender(request, owner, fiwano_profile)
    throttled, _ = _exhaust(spend, limit)
    wait = _retry_after_seconds(throttled)

    clock.advance((wait if wait is not None else window) + 1)
    again = spend()
    clock.advance(window + 1)
    later = [spend() for _ in range(limit // 2)]

    expect.status(again, 200, "RATE-LIMIT-RECOVERY",
                  f"the same key {('Retry-After ' + str(wait) + ' s') if wait is not None else 'a window'} + 1 s later")
    expect.check(all(r.status_code == 200 for r in later), "RATE-LIMIT-RECOVERY",
                 f"{limit // 2} {spend.kind} one more window later", "all 200", [r.status_code for r in later])


@pytest.mark.req("RATE-LIMIT-UNDER")
@pytest.mark.level("controlled", real_time=150)  # two rate-limit windows and a bit
def test_requests_paced_under_the_limit_are_never_throttled(account, clock, fiwano_profile, request):
    limit, window = _limit(fiwano_profile)
    owner = account()
    spend = Spender(request, owner, fiwano_profile, "RATE-LIMIT-UNDER")
    per_window = int(limit * 0.9)  # e.g. 90 per minute
    gap = window / per_window

    statuses = []
    for _ in range(2 * per_window + 1):  # more than the limit in total, over two windows and a bit
        statuses.append(spend().status_code)
        clock.advance(gap)

    throttled = [i + 1 for i, s in enumerate(statuses) if s == 429]
    expect.check(not throttled, "RATE-LIMIT-UNDER", f"{len(statuses)} {spend.kind} paced at {per_window}/{window:.0f} s",
                 "never 429", f"429 on requests {throttled[:10]}")


@pytest.mark.req("RATE-LIMIT-NO-SIDE-EFFECT")
@pytest.mark.level("controlled")
def test_a_throttled_send_reaches_no_meta_endpoint(account, channel, channel_type, simulator, clock, fiwano_profile,
                                                   rng, request):
    limit, window = _limit(fiwano_profile)
    owner = account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "RATE-LIMIT-NO-SIDE-EFFECT")
    spent_key, _ = owner.new_key()  # the channel's cleanup keeps using the account's first key
    _exhaust(Spender(request, owner, fiwano_profile, "RATE-LIMIT-NO-SIDE-EFFECT"), limit, api_key=spent_key)

    answers = [owner.client.request("POST", "/messages/send", api_key=spent_key,
                                    json={"channel_id": ch.id, "recipient": recipient, "text": f"throttled {i}"})
               for i in range(3)]
    clock.advance(float(fiwano_profile["send_retry"]["deadline_seconds"]) + window, worlds=(ch.world,))

    expect.check([r.status_code for r in answers] == [429] * 3, "RATE-LIMIT-NO-SIDE-EFFECT",
                 "sends with the exhausted key", "429 each", [expect.describe(r) for r in answers])
    sends = meta_sends(simulator, ch)
    expect.check(not sends, "RATE-LIMIT-NO-SIDE-EFFECT", "calls to Meta's send endpoint (also after the retry horizon)",
                 "none", [(e.path, e.body[:80]) for e in sends])
