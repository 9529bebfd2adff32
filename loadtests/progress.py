"""A one-line progress report of a running load profile, every few seconds (``--fiwano-progress-seconds``).

Headless Locust either prints its full statistics table every two seconds or, with ``--only-summary``,
nothing at all until the end: a 10-minute soak looked hung. This prints one short line per period on the
master (or the single local runner) from Locust's own aggregated statistics: elapsed / planned time, users,
requests, failures, current throughput and the 95th percentile.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

import gevent


def progress_line(elapsed: float, planned: float | None, users: int, total: Any) -> str:
    """The line for the aggregated ``total`` entry of Locust's stats (``RequestStats.total``)."""
    of = f" / {planned:.0f} s" if planned else " s"
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0
    return (f"load: {elapsed:.0f}{of}, {users} users, {total.num_requests} requests, "
            f"{total.num_failures} failures, {total.current_rps:.0f} req/s now, p95 {p95:.0f} ms")


def start(environment: Any, every: float, planned: Callable[[], float | None],
          write: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> Any:
    """Spawn the reporting greenlet (killed at test_stop by the caller); None when ``every`` is 0."""
    if not every or every <= 0:
        return None
    started = time.monotonic()

    def loop() -> None:
        while True:
            gevent.sleep(every)
            runner = environment.runner
            write(progress_line(time.monotonic() - started, planned(), getattr(runner, "user_count", 0),
                                environment.stats.total))

    return gevent.spawn(loop)
