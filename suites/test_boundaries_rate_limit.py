"""The rate limit at its exact boundary: exactly L requests admitted in any window of W seconds (profile
``rate_limit``), the (L+1)-th refused; the window slides (one second matters, fixed windows fail); refused
requests are not counted; the count is per API key across routes, not per route and not per account.

Spec: fiwano-api.md "Errors & Rate Limits / Rate Limits" ("100 requests per minute per API key"; the
number comes from the profile, see RATE-LIMIT-429's readings, and so does what it counts: every request under
v1, sends only under fiwano-2026-10, suites/support_rate_limits.py). Every test burns fresh keys and moves time
with the ``clock`` fixture. Real time also passes while requests run, so every instant is bracketed by
reads of the target's clock and probed one second inside or outside the bracket (docs/requirements.md:
at T-1 s and T+1 s, the inclusive/exclusive reading of the exact instant is not judged).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from suites import expect, readings
from suites.boundaries import probe_margin
from suites.support_rate_limits import (SEND_PATHS, Spender, counts_sends_only, limit_of, operation_objects,
                                       operation_requests)

pytestmark = pytest.mark.counts_429

_limit = limit_of


def _statuses(spend: Spender, count: int, api_key=None, routes=(0,)) -> list[int]:
    """``count`` requests the limit counts, cycling through the spender's ``routes`` (0, 1); their statuses."""
    return [spend(api_key, routes[i % len(routes)]).status_code for i in range(count)]


def _exactly(statuses: list[int], admitted: int, req, what: str) -> None:
    """The first ``admitted`` answers are 200 and the next one is 429."""
    expected = [200] * admitted + [429]
    first_429 = statuses.index(429) + 1 if 429 in statuses else None
    expect.check(statuses == expected, req, what,
                 f"exactly {admitted} admitted (200), the {admitted + 1}-th refused (429)",
                 f"first 429 at request #{first_429}; statuses {_runs(statuses)}")


def _runs(statuses: list[int]) -> str:
    """``200x100, 429x1`` style summary of a status sequence."""
    runs: list[list[int]] = []
    for status in statuses:
        if runs and runs[-1][0] == status:
            runs[-1][1] += 1
        else:
            runs.append([status, 1])
    return ", ".join(f"{s}x{n}" for s, n in runs)


def _advance_to(clock, when: datetime) -> None:
    delta = (when - clock.now()).total_seconds()
    if delta > 0:
        clock.advance(delta)


@pytest.mark.req("RATE-LIMIT-429", "RATE-LIMIT-RECOVERY", "RATE-LIMIT-UNDER")
@pytest.mark.level("controlled")
def test_the_window_slides_and_refused_requests_are_not_counted(account, clock, fiwano_profile, request):
    """a = 30 % of L at t0, the other L - a twenty seconds later: the (L+1)-th is refused; probes every 2 s
    until t0 + W - 1 are all refused (a fixed window that restarts anywhere in that minute admits one);
    at t0 + W + 1 exactly a slots are free (the first group slid out, the second did not, the refused
    probes took none); once the second group slides out exactly L - a are free again."""
    limit, window = _limit(fiwano_profile)
    owner = account()
    spend = Spender(request, owner, fiwano_profile)
    first, gap = max(1, limit * 3 // 10), window / 3
    t0 = clock.now()
    early = _statuses(spend, first)
    t0_end = clock.now()
    clock.advance(gap)
    t1 = clock.now()
    late = _statuses(spend, limit - first + 1)
    t1_end = clock.now()

    _exactly(early + late, limit, "RATE-LIMIT-429", f"{first} {spend.kind}, then {limit - first + 1} more "
             f"{gap:.0f} s later (limit {limit} per {window:.0f} s)")

    probes: dict[float, int] = {}
    at = t1_end + timedelta(seconds=2)
    m = probe_margin(clock)  # 1 s unless the target answers slowly (then the last probe keeps away)
    while at <= t0 + timedelta(seconds=window - m):
        _advance_to(clock, at)
        probes[round((at - t0).total_seconds(), 1)] = spend().status_code
        at += timedelta(seconds=2)
    _advance_to(clock, t0 + timedelta(seconds=window - m))
    probes[window - m] = spend().status_code
    admitted = {offset: s for offset, s in probes.items() if s != 429}
    expect.check(not admitted, "RATE-LIMIT-429", f"one request every 2 s until {window - m:.0f} s after the first "
                 f"of {limit} admitted requests (a sliding window of {window:.0f} s)", "429 each",
                 f"admitted at t0 + {sorted(admitted)} s: {admitted}")

    _advance_to(clock, t0_end + timedelta(seconds=window + 1))
    expect.check(clock.now() < t1 + timedelta(seconds=window - 1), "RATE-LIMIT-RECOVERY", "kit timing",
                 "the second group still inside its window", clock.now())
    _exactly(_statuses(spend, first + 1), first, ("RATE-LIMIT-RECOVERY", "RATE-LIMIT-UNDER"),
             f"{window + 1:.0f} s after the first group of {first} (the {limit - first} later ones still count, "
             f"the {len(probes)} refused probes do not)")

    t2 = clock.now()
    _advance_to(clock, t1_end + timedelta(seconds=window + 1))
    expect.check(clock.now() < t2 + timedelta(seconds=window - 1), "RATE-LIMIT-RECOVERY", "kit timing",
                 "the requests just admitted still inside their window", clock.now())
    _exactly(_statuses(spend, limit - first + 1), limit - first, "RATE-LIMIT-RECOVERY",
             f"{window + 1:.0f} s after the second group of {limit - first} (the {first} admitted at "
             f"t0 + {window + 1:.0f} s still count)")


@pytest.mark.req("RATE-LIMIT-PER-KEY", "RATE-LIMIT-429")
@pytest.mark.level("controlled")
def test_the_limit_counts_per_key_across_routes_not_per_account(account, fiwano_profile, request):
    """Key A spends its L requests alternating two routes: the (L+1)-th is refused on either route (a
    per-route count would admit up to L per route). Key B of the SAME account then gets exactly L of its
    own (a per-account count would give none), and a key of another account is untouched."""
    limit, window = _limit(fiwano_profile)
    owner, stranger = account(), account()
    key_a, key_b = owner.new_key()[0], owner.new_key()[0]
    spend, foreign_spend = Spender(request, owner, fiwano_profile), Spender(request, stranger, fiwano_profile)

    spent_a = _statuses(spend, limit + 1, api_key=key_a, routes=(0, 1))
    other_route = spend(key_a, 1 if limit % 2 == 0 else 0)
    spent_b = _statuses(spend, limit + 1, api_key=key_b, routes=(1, 0))
    foreign = foreign_spend()

    _exactly(spent_a, limit, ("RATE-LIMIT-PER-KEY", "RATE-LIMIT-429"),
             f"key A: {limit + 1} {spend.kind} alternating {' and '.join(spend.routes)} within {window:.0f} s")
    expect.status(other_route, 429, "RATE-LIMIT-PER-KEY", "key A on the route its last refused request did not use")
    _exactly(spent_b, limit, "RATE-LIMIT-PER-KEY", f"key B of the same account after key A was spent: {limit + 1} "
             "requests")
    expect.status(foreign, 200, "RATE-LIMIT-PER-KEY", "a key of another account")


def _operations(sends_only: bool = False) -> list[tuple[str, str]]:
    """Every (METHOD, path) of contract/openapi.yaml (all of them need an API key: global security); only the
    sends when the profile's limit counts sends only."""
    from contract import load_openapi

    return [(method.upper(), path[len("/api/v1"):]) for path, item in load_openapi()["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")
            if not sends_only or path[len("/api/v1"):] in SEND_PATHS]


@pytest.mark.req("RATE-LIMIT-429", "RATE-LIMIT-NO-SIDE-EFFECT")
@pytest.mark.level("controlled")
def test_every_operation_of_the_contract_is_throttled_without_effect(account, channel, simulator, fiwano_profile,
                                                                     rng, request):
    """Once a key has spent its L requests, EVERY operation of the OpenAPI contract the limit counts (every one
    under v1, the sends under fiwano-2026-10) answers it 429 (a route served by another code path must not
    escape the limit), and none of them changes anything: the channel, its template and the key's redirect are
    still there and nothing reached Meta."""
    limit, _ = _limit(fiwano_profile)
    made = operation_objects(account, channel, simulator, rng, new_key=True)
    owner, wa, recipient = made.owner, made.wa, made.recipient
    template_id, redirect = made.template_id, made.redirect_id
    spent_key = made.key
    since = max((e.seq for e in simulator.journal(wa.world.world_id)), default=0)
    channel_before = owner.client.get_channel(wa.id).json()
    spend = Spender(request, owner, fiwano_profile, "RATE-LIMIT-NO-SIDE-EFFECT")
    spent = _statuses(spend, limit + 1, api_key=spent_key)
    expect.check(spent[-1] == 429, "RATE-LIMIT-429", f"{limit + 1} {spend.kind} of one key", "the last one 429",
                 _runs(spent))

    answers = {name: owner.client.request(method, path, api_key=spent_key, **kwargs).status_code
               for name, method, path, kwargs in operation_requests(
                   _operations(counts_sends_only(fiwano_profile)), channel_id=wa.id, template_id=template_id,
                   redirect_id=redirect, recipient=recipient, rng=rng)}

    escaped = {op: s for op, s in answers.items() if s != 429}
    expect.check(not escaped, "RATE-LIMIT-429", f"each of the {len(answers)} operations of the contract with the "
                 "exhausted key", "429 each", escaped)
    channel_now = owner.client.get_channel(wa.id).json()
    expect.check(channel_now == channel_before, "RATE-LIMIT-NO-SIDE-EFFECT", "the channel after throttled DELETE and PATCH", "unchanged", channel_now)
    expect.status(owner.client.request("GET", f"/channels/{wa.id}/templates/{template_id}"), 200,
                  "RATE-LIMIT-NO-SIDE-EFFECT", "the template after a throttled DELETE")
    listed = readings.list_items(owner.client.request("GET", "/redirects", api_key=owner.api_key), "redirects",
                                 "RATE-LIMIT-NO-SIDE-EFFECT", "GET /redirects with the first key")
    patterns = [r.get("id") for r in listed if isinstance(r, dict)]
    calls = [f"{e.method} {e.path}" for e in simulator.journal(wa.world.world_id, since_seq=since)
             if e.method in ("POST", "DELETE")]
    expect.check(not calls, "RATE-LIMIT-NO-SIDE-EFFECT", "calls to Meta from throttled requests", "none", calls)
    expect.check(redirect not in patterns, "RATE-LIMIT-NO-SIDE-EFFECT", "kit check: redirects are per key",
                 "the spent key's redirect not listed for the first key", patterns)
