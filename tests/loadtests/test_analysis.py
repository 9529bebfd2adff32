"""Summary, ramp steps and drift computed from ledger rows."""

from loadtests.analysis import Step, highest_sustained, p95_drift, percentile, ramp_steps, summarize
from loadtests.ledger import INTERRUPTED, Detail, Op, Row


def row(sent, latency=0.01, status=200, op=Op.SEND_TEXT, key=0):
    return Row(key, 0, op, sent, sent + latency, status, Detail.NONE)


def test_percentile_is_nearest_rank():
    assert percentile([], 0.95) is None
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([5.0], 0.5) == 5.0


def test_summary_separates_429_failures_interrupted_and_setup():
    rows = [row(0), row(1, status=429), row(2, status=500), row(3, status=0), row(4, status=INTERRUPTED),
            row(0.5, op=Op.SETUP)]
    s = summarize(rows)
    assert (s.requests, s.interrupted, s.failures, s.rejected_429) == (4, 1, 2, 1)
    assert s.failure_ratio == 0.5
    assert s.by_operation["send_text"]["statuses"] == {"200": 1, "429": 1, "500": 1, "0": 1, "-1": 1}


def test_ramp_finds_the_last_sustained_step():
    steps = [Step(0, 10, 10, 10.0), Step(10, 20, 20, 20.0), Step(20, 30, 30, 30.0), Step(30, 40, 40, 40.0)]
    rows = [row(t / 10) for t in range(0, 100)]                       # 10 req/s, fast
    rows += [row(10 + t / 20) for t in range(0, 200)]                 # 20 req/s, fast
    rows += [row(20 + t / 30, latency=0.9) for t in range(0, 300)]    # 30 req/s but slow
    rows += [row(30 + t / 40) for t in range(0, 400)]                 # 40 req/s, fast again (does not count)
    results = ramp_steps(rows, steps, p95_limit_ms=500, max_failure_ratio=0.01, sustain_ratio=0.95)
    assert [r.sustained for r in results] == [True, True, False, True]
    assert highest_sustained(results).offered_rps == 20.0


def test_ramp_step_that_falls_short_of_the_offered_rate():
    results = ramp_steps([row(t / 5) for t in range(50)], [Step(0, 10, 10, 10.0)], None, 0.01, 0.95)
    assert not results[0].sustained and results[0].achieved_rps == 5.0


def test_drift():
    rows = [row(t, latency=0.01) for t in range(50)] + [row(50 + t, latency=0.05) for t in range(50)]
    first, last, ratio = p95_drift(rows)
    assert round(first) == 10 and round(last) == 50 and round(ratio) == 5
    assert p95_drift(rows[:5]) == (None, None, None)
