"""kill -9 during a burst of concurrent sends with a slow Meta (issue 18 row 3), CI-sized: 100 sends, one round.

Before the fix every send whose first attempt was in flight stayed ``queued`` with no next attempt for ever.
The full figure (500 sends, 3 rounds) comes from ``python -m benchmarks.kill9_burst`` (docs/benchmarks.md).
"""

from __future__ import annotations

from benchmarks.kill9_burst import run_round


def test_row3_kill9_during_send_burst_leaves_no_row_without_next_step(tmp_path):
    result = run_round(tmp_path, sends=100)
    assert result.rows_before_restart["queued"] > 0, result.line()  # the kill hit first attempts in flight
    assert result.without_next_step == 0, result.line()
    assert result.answered_lost_or_doubled == [], result.line()
    # every interrupted send was failed with its message.failed event (none left pending)
    assert result.interrupted_failed == result.failed_events > 0, result.line()
