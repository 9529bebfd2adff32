"""The admission oracle on synthetic traffic: exact limiters pass, too lenient and too strict ones are caught,
and the documented tolerance of fixed windows / token buckets is honoured under ``any`` semantics."""

import pytest

from loadtests.ratelimit import Attempt, Outcome, judge_key, max_in_interval

L, W = 100, 60.0


def paced(rate_per_second: float, seconds: float, start: float = 1000.0) -> list[float]:
    step = 1 / rate_per_second
    return [start + i * step for i in range(int(seconds * rate_per_second))]


def sliding_log(times: list[float], limit: int = L, window: float = W) -> list[Attempt]:
    """An exact sliding-log limiter counting admitted requests only (what the reference does)."""
    admitted, attempts = [], []
    for t in times:
        recent = [a for a in admitted if a > t - window]
        ok = len(recent) < limit
        if ok:
            admitted.append(t)
        attempts.append(Attempt(t, t + 0.005, Outcome.ADMITTED if ok else Outcome.REJECTED))
    return attempts


def fixed_window(times: list[float], limit: int = L, window: float = W, offset: float = 0.0) -> list[Attempt]:
    counts: dict[int, int] = {}
    attempts = []
    for t in times:
        slot = int((t - offset) // window)
        ok = counts.get(slot, 0) < limit
        if ok:
            counts[slot] = counts.get(slot, 0) + 1
        attempts.append(Attempt(t, t + 0.005, Outcome.ADMITTED if ok else Outcome.REJECTED))
    return attempts


def token_bucket(times: list[float], limit: int = L, window: float = W) -> list[Attempt]:
    tokens, last, attempts = float(limit), None, []
    for t in times:
        if last is not None:
            tokens = min(limit, tokens + (t - last) * limit / window)
        last = t
        ok = tokens >= 1
        if ok:
            tokens -= 1
        attempts.append(Attempt(t, t + 0.005, Outcome.ADMITTED if ok else Outcome.REJECTED))
    return attempts


def test_max_in_interval():
    assert max_in_interval([0, 1, 2, 10, 10.5, 11], 1.0) == 3
    assert max_in_interval([], 5) == 0


@pytest.mark.parametrize("semantics", ["sliding", "any"])
def test_exact_sliding_log_in_a_burst_passes(semantics):
    result = judge_key(sliding_log(paced(200 / 60, 150)), L, W, semantics)
    assert result.wrongly_admitted == 0 and result.wrongly_rejected == 0
    assert result.rejected > 0 and result.max_admitted_in_window == L


def test_steady_under_the_limit_is_all_admitted():
    result = judge_key(sliding_log(paced(90 / 60, 300)), L, W)
    assert (result.rejected, result.wrongly_admitted, result.wrongly_rejected) == (0, 0, 0)


def test_no_limiter_is_caught_as_wrongly_admitted():
    times = paced(200 / 60, 150)
    attempts = [Attempt(t, t + 0.005, Outcome.ADMITTED) for t in times]
    assert judge_key(attempts, L, W, "sliding").wrongly_admitted > 0
    assert judge_key(attempts, L, W, "any").wrongly_admitted > 0


def test_off_by_one_too_lenient_is_caught_under_sliding():
    result = judge_key(sliding_log(paced(4, 30), limit=L + 1), L, W, "sliding")
    assert result.wrongly_admitted == 1


def test_off_by_one_too_strict_is_caught_under_any_semantics():
    result = judge_key(sliding_log(paced(4, 30), limit=L - 1), L, W, "any")
    assert result.wrongly_rejected > 0 and result.wrongly_admitted == 0


def test_a_limiter_that_counts_rejections_locks_out_and_is_caught():
    """Counting rejected attempts too: a client at 2x never gets back in; 'L per minute' forbids that."""
    times, seen, attempts = paced(200 / 60, 180), [], []
    for t in times:
        seen = [s for s in seen if s > t - W] + [t]
        attempts.append(Attempt(t, t + 0.005, Outcome.ADMITTED if len(seen) <= L else Outcome.REJECTED))
    assert judge_key(attempts, L, W, "any").wrongly_rejected > 0


@pytest.mark.parametrize("offset", [0.0, 17.3, 42.0])
def test_fixed_windows_pass_under_any_but_their_boundary_burst_fails_sliding(offset):
    attempts = fixed_window(paced(200 / 60, 240, start=1000.0), offset=offset)
    lenient = judge_key(attempts, L, W, "any")
    assert lenient.wrongly_admitted == 0 and lenient.wrongly_rejected == 0
    # a key that bursts right at a boundary gets up to 2L within one minute: not a sliding log
    burst = fixed_window([1000 + 59.0 + i * 0.001 for i in range(100)] + [1060.0 + i * 0.001 for i in range(100)],
                         offset=1000.0)
    assert judge_key(burst, L, W, "sliding", slack=0.5).wrongly_admitted > 0
    assert judge_key(burst, L, W, "any", slack=0.5).wrongly_admitted == 0


def test_token_bucket_passes_under_any_semantics():
    result = judge_key(token_bucket(paced(200 / 60, 300)), L, W, "any")
    assert result.wrongly_admitted == 0 and result.wrongly_rejected == 0


def test_double_limit_is_caught_even_under_any_semantics():
    result = judge_key(sliding_log(paced(10, 200), limit=2 * L + 20), L, W, "any")
    assert result.wrongly_admitted > 0


def test_unknown_outcomes_only_forgive():
    times = paced(200 / 60, 60)
    attempts = sliding_log(times)
    # the 100th admitted request got no answer: the target may have counted it, so the first 429 is fine
    index = [i for i, a in enumerate(attempts) if a.outcome is Outcome.ADMITTED][-1]
    attempts[index] = Attempt(attempts[index].sent, attempts[index].done, Outcome.UNKNOWN)
    result = judge_key(attempts, L, W, "sliding")
    assert result.wrongly_rejected == 0 and result.unknown == 1


def test_timing_slack_absorbs_edge_jitter():
    """A request admitted 59.5 s after the window's first one by our clock, 60.1 s by the target's."""
    times = [1000.0 + i * 0.01 for i in range(100)] + [1059.5]
    attempts = [Attempt(t, t + 0.005, Outcome.ADMITTED) for t in times]
    assert judge_key(attempts, L, W, "sliding", slack=1.0).wrongly_admitted == 0
    assert judge_key(attempts, L, W, "sliding", slack=0.0).wrongly_admitted == 1


def test_tolerance_requests():
    result = judge_key(sliding_log(paced(4, 30), limit=L + 2), L, W, "sliding", tolerance=2)
    assert result.wrongly_admitted == 0


def test_unknown_semantics_is_an_error():
    with pytest.raises(ValueError):
        judge_key([], L, W, "leaky")


def test_keys_with_unknown_history_are_not_judged_on_their_first_window():
    """A key reused right after an earlier run: the target still counts 90 earlier admissions."""
    earlier = [950.0 + i * 0.1 for i in range(90)]
    now = paced(200 / 60, 150, start=960.0)
    attempts = sliding_log(earlier + now)[len(earlier):]
    assert judge_key(attempts, L, W, "sliding").wrongly_rejected > 0          # looks wrong without history
    result = judge_key(attempts, L, W, "sliding", history_known=False)
    assert result.wrongly_rejected == 0 and result.unjudged > 0
    assert result.wrongly_admitted == 0
