"""Profile fiwano-2026-10, changelog 2026-09-29 "per-key request limit": every operation except sending is
limited to the profile's ``request_limit`` (20 requests per second) per API key; beyond it 429 with
Retry-After; sends do not count against it (they have the per-minute ``rate_limit`` of their own, which this
profile counts on sends only: suites/test_rate_limit.py, suites/support_rate_limits.py).

The window is one second while real time also passes between requests (the target's clock is the real one
plus the harness offset), so every burst that must fall into one window is bracketed by two reads of the
target's clock; a burst that took a whole window (a machine too loaded to judge) is made again with fresh
keys, at most three times. Time moves with the ``clock`` fixture, never by sleeping. Under the default
profile these tests are not judged (the plugin skips them as not-claimed before any fixture runs).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from suites import expect
from suites.data import user_id
from suites.support_rate_limits import (GET_ROUTES, SEND_PATHS, operation_objects, operation_requests,
                                       retry_after_within)
from suites.support_sending import open_window

pytestmark = pytest.mark.counts_429

ATTEMPTS = 3  # bursts of one window made again when the machine was too slow to fit one into it


def _request_limit(fiwano_profile) -> tuple[int, float]:
    limit = fiwano_profile["request_limit"]
    return int(limit["requests"]), float(limit["window_seconds"])


def _within_one_window(clock, window: float, req: str, what: str, burst: Callable[[], Any]) -> Any:
    """Run ``burst`` (fresh keys each time) until it fits into one window of the target's clock: the read
    before it and the read after it less than ``window`` apart. Returns what the burst returned."""
    spans = []
    for _ in range(ATTEMPTS):
        started = clock.now()
        result = burst()
        span = (clock.now() - started).total_seconds()
        if span < window:
            return result
        spans.append(round(span, 3))
    expect.fail(req, f"kit timing: {what} within one window of {window:g} s", f"one of {ATTEMPTS} attempts inside "
                "the window (the machine is too loaded to judge a one-second limit)", f"spans {spans} s")


def _gets(client, count: int, api_key: str, routes=GET_ROUTES) -> list[int]:
    """``count`` cheap authenticated GETs of one key, alternating ``routes``; their statuses in order."""
    return [client.request("GET", routes[i % len(routes)], api_key=api_key).status_code for i in range(count)]


def _exactly(statuses: list[int], admitted: int, req, what: str) -> None:
    expect.check(statuses == [200] * admitted + [429], req, what,
                 f"exactly {admitted} admitted (200), the {admitted + 1}-th refused (429)", statuses)


@pytest.mark.req("RATE-REQUEST-LIMIT")
@pytest.mark.level("controlled")
def test_exactly_the_request_limit_is_admitted_per_window(account, clock, fiwano_profile):
    """L + 1 GETs of a fresh key within one window, alternating two routes: exactly L admitted, the
    (L+1)-th 429 with a ``{"detail"}`` body. Then three windows of exactly L requests each, the clock moved a
    window on between them: none refused (one within the limit never is)."""
    limit, window = _request_limit(fiwano_profile)
    owner = account()

    def burst():
        key = owner.new_key()[0]
        statuses = _gets(owner.client, limit, key)
        last = owner.client.request("GET", GET_ROUTES[limit % 2], api_key=key)
        return key, statuses + [last.status_code], last

    key, statuses, refused = _within_one_window(clock, window, "RATE-REQUEST-LIMIT", f"{limit + 1} GETs", burst)

    _exactly(statuses, limit, "RATE-REQUEST-LIMIT",
             f"{limit + 1} GETs of one key alternating {' and '.join(GET_ROUTES)} within {window:g} s")
    # the v1 error format (RATE-LIMIT-BODY), judged here under the new rule's id: a v1 implementation never answers
    # this 429 and must fail only the new rule
    detail = expect.error_detail(refused, "RATE-REQUEST-LIMIT", "429 of the request limit", string=False)
    expect.check(detail not in (None, "", [], {}), "RATE-REQUEST-LIMIT", "429 detail", "a non-empty detail", detail)

    paced = []
    for _ in range(3):
        clock.advance(window + 0.1)
        paced.append(_gets(owner.client, limit, key))
    refused_at = [(n + 1, i + 1) for n, run in enumerate(paced) for i, s in enumerate(run) if s != 200]
    expect.check(not refused_at, "RATE-REQUEST-LIMIT", f"3 windows of exactly {limit} GETs, the clock moved "
                 f"{window + 0.1:g} s on before each", "200 each", f"not 200 at (window, request) {refused_at}")


def _operations(fiwano_profile) -> list[tuple[str, str]]:
    """Every (METHOD, path) of the profile's OpenAPI that needs an API key, except the sends."""
    from contract import load_openapi_of_profile

    document = load_openapi_of_profile(str(fiwano_profile["name"]))
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or path[len("/api/v1"):] in SEND_PATHS:
                continue
            if {} in (operation.get("security") or document.get("security") or [{}]):
                continue  # served without a key (the OpenAPI by URL): nothing to count per key
            found.append((method.upper(), path[len("/api/v1"):]))
    return found


@pytest.mark.req("RATE-REQUEST-LIMIT")
@pytest.mark.level("controlled")
def test_every_operation_except_sending_is_refused_over_the_limit(account, channel, simulator, clock, fiwano_profile,
                                                                   rng):
    """A key spends its L requests, then calls every operation of the profile's contract except the sends,
    all within one window: each is answered 429 (a route served by another code path must not escape the
    limit; refused requests take no slot), with a valid request each time, so that only the limit refuses it."""
    limit, window = _request_limit(fiwano_profile)
    made = operation_objects(account, channel, simulator, rng, new_key=False)
    owner, wa, recipient = made.owner, made.wa, made.recipient
    template_id, redirect = made.template_id, made.redirect_id
    requests = operation_requests(_operations(fiwano_profile), channel_id=wa.id, template_id=template_id,
                                  redirect_id=redirect, recipient=recipient, rng=rng)

    def burst():
        key = owner.new_key()[0]
        spent = _gets(owner.client, limit, key)
        return spent, {name: owner.client.request(method, path, api_key=key, **kwargs).status_code
                       for name, method, path, kwargs in requests}

    spent, answers = _within_one_window(clock, window, "RATE-REQUEST-LIMIT", f"{limit} GETs and the "
                                        f"{len(requests)} operations", burst)
    expect.check(spent == [200] * limit, "RATE-REQUEST-LIMIT", f"{limit} GETs of a fresh key", "200 each", spent)
    escaped = {op: s for op, s in answers.items() if s != 429}
    expect.check(answers and not escaped, "RATE-REQUEST-LIMIT", f"each of the {len(answers)} operations except "
                 f"sending, with a key that spent its {limit} requests within {window:g} s", "429 each", escaped)


@pytest.mark.req("RATE-REQUEST-LIMIT-RETRY-AFTER")
@pytest.mark.level("controlled")
def test_the_request_limit_429_says_when_to_retry_and_the_key_is_served_then(account, clock, fiwano_profile):
    """The 429 of the request limit carries a valid Retry-After (delay-seconds or HTTP-date) of at most the
    window, and once that delay has elapsed on the clock the same key is served again."""
    limit, window = _request_limit(fiwano_profile)
    owner = account()

    def burst():
        key = owner.new_key()[0]
        return key, _gets(owner.client, limit + 1, key)

    key, statuses = _within_one_window(clock, window, "RATE-REQUEST-LIMIT-RETRY-AFTER", f"{limit + 1} GETs", burst)
    expect.check(statuses[-1] == 429, "RATE-REQUEST-LIMIT-RETRY-AFTER", f"kit check: {limit + 1} GETs within "
                 f"{window:g} s", "the last one 429", statuses)
    throttled = owner.client.request("GET", GET_ROUTES[0], api_key=key)
    expect.status(throttled, 429, "RATE-REQUEST-LIMIT-RETRY-AFTER", "the spent key again at once")
    value = throttled.headers.get("Retry-After")
    delay, tolerance = retry_after_within(throttled, window, "RATE-REQUEST-LIMIT-RETRY-AFTER",
                                          "Retry-After of the request limit's 429")

    if delay + tolerance > 0:
        clock.advance(delay + tolerance)
    again = owner.client.request("GET", GET_ROUTES[0], api_key=key)
    expect.status(again, 200, "RATE-REQUEST-LIMIT-RETRY-AFTER", f"the same key once Retry-After {value!r} elapsed")


@pytest.mark.req("RATE-REQUEST-LIMIT-SENDS-EXEMPT")
@pytest.mark.level("controlled")
def test_sends_are_exempt_and_the_request_limit_counts_per_key(account, channel, channel_type, simulator, clock,
                                                               fiwano_profile, rng):
    """Within one window, key A of an account: L + 1 sends (all accepted: sends are not counted), then exactly
    L GETs admitted and the (L+1)-th refused (the sends took none of the L), then a send again (accepted: the
    spent request limit does not hold sends). Key B of the same account is still served (a count per account
    would refuse it), and so is a key of another account."""
    limit, window = _request_limit(fiwano_profile)
    owner, stranger = account(), account()
    ch = channel(owner, channel_type)
    recipient = user_id(channel_type, rng)
    open_window(simulator, ch, recipient, "RATE-REQUEST-LIMIT-SENDS-EXEMPT")
    numbers = iter(range(10 ** 6))

    def send(key):
        return owner.client.request("POST", "/messages/send", api_key=key,
                                    json={"channel_id": ch.id, "recipient": recipient, "text": f"exempt {next(numbers)}"})

    def burst():
        key_a, key_b = owner.new_key()[0], owner.new_key()[0]
        sends = [send(key_a).status_code for _ in range(limit + 1)]
        gets_a = _gets(owner.client, limit + 1, key_a)
        send_after = send(key_a)
        gets_b = _gets(owner.client, 1, key_b)
        foreign = stranger.client.request("GET", GET_ROUTES[0]).status_code
        return sends, gets_a, send_after, gets_b, foreign

    sends, gets_a, send_after, gets_b, foreign = _within_one_window(
        clock, window, "RATE-REQUEST-LIMIT-SENDS-EXEMPT", f"{limit + 3} requests and {limit + 2} sends", burst)

    expect.check(sends == [200] * (limit + 1), "RATE-REQUEST-LIMIT-SENDS-EXEMPT",
                 f"{limit + 1} sends of key A on {channel_type} within {window:g} s", "200 each", sends)
    _exactly(gets_a, limit, "RATE-REQUEST-LIMIT-SENDS-EXEMPT", f"key A: {limit + 1} GETs after its {limit + 1} sends")
    expect.status(send_after, 200, "RATE-REQUEST-LIMIT-SENDS-EXEMPT", "a send of key A once its request limit is spent")
    expect.check(send_after.json().get("success") is True, "RATE-REQUEST-LIMIT-SENDS-EXEMPT",
                 "the send of key A once its request limit is spent", "success true", send_after.json())
    expect.check(gets_b == [200], "RATE-REQUEST-LIMIT-SENDS-EXEMPT", "a GET with key B of the same account once key "
                 "A's request limit is spent", "200", gets_b)
    expect.check(foreign == 200, "RATE-REQUEST-LIMIT-SENDS-EXEMPT", "a GET with a key of another account", 200, foreign)
