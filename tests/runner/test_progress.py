"""The progress lines: `run` (tests done / total, failures, ETA) and load profiles (Locust's stats)."""

from __future__ import annotations

from types import SimpleNamespace

from loadtests.progress import progress_line as load_line
from reports.progress import eta_text, progress_line


def test_run_progress_line_counts_failures_and_estimates_from_the_pace_after_the_first_test():
    assert progress_line(0, 1010, 0, 3.0) == "fiwano: 0/1010 tests, 0 failed, 3 s, ETA --"
    # 11 done in 30 s, the first one (server start) at 10 s: 10 tests in 20 s -> 999 left take ~1998 s
    assert progress_line(11, 1010, 2, 30.0, since_first=20.0) == "fiwano: 11/1010 tests, 2 failed, 30 s, ETA 33m18s"
    assert progress_line(56, 57, 0, 48.0, now="contract fuzz: 3 operation(s) checked, last GET /x",
                         since_first=30.0).endswith("ETA 1s (contract fuzz: 3 operation(s) checked, last GET /x)")
    assert eta_text(59.4) == "ETA 59s" and eta_text(61) == "ETA 1m01s"


def test_load_progress_line_reads_lockusts_aggregated_stats():
    total = SimpleNamespace(num_requests=3120, num_failures=2, current_rps=77.6,
                            get_response_time_percentile=lambda q: 41.2)
    assert load_line(40.2, 120, 50, total) == \
        "load: 40 / 120 s, 50 users, 3120 requests, 2 failures, 78 req/s now, p95 41 ms"
