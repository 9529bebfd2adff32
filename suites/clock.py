"""The ``clock`` fixture: moves time for the target and the fake Meta together, never by sleeping.

Time rules (5-minute codes, 10-minute setup URLs, retry schedules over 20 minutes, 60-minute media,
token refresh) are tested on virtual clocks: the target's through its harness API
(``POST /harness/clock/advance``, controlled level) and the simulator's global clock
(``POST /_sim/clock/advance``), which every world follows. Both move by the same amount, so the two sides
never drift apart: a world created after an earlier test moved time still agrees with the target about
"now" (Messenger read watermarks, 24-hour windows and token expiry compare the two sides' times).
A test that uses this fixture needs the controlled level, unless its time scale is seconds to a couple of
minutes (``@pytest.mark.level("controlled", real_time=SECONDS)``) and the run opts in to real time
(``--fiwano-real-time``): then, without a harness, it runs at the simulated level and waits, bounded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

import pytest

from suites.clients import HarnessClient


class VirtualClock:
    """Reads and advances the target's clock, and the clocks of the simulator worlds a test names."""

    real_time = False  # time jumps: an instant the test computes is exact, and nothing is waited for

    def __init__(self, harness: HarnessClient, simulator: Any) -> None:
        self._harness = harness
        self._simulator = simulator

    def now(self) -> datetime:
        """The target's current time (timezone-aware)."""
        data = self._harness.clock()
        return datetime.fromisoformat(data["now"].replace("Z", "+00:00"))

    def advance(self, seconds: float, worlds: Iterable[Any] = (), until: Callable[[], Any] | None = None) -> None:
        """Move the simulator's clock and the target's clock by ``seconds``; the target runs everything that
        became due before it answers. ``worlds`` names the worlds the test relies on; they all follow the
        simulator's global clock, so naming them changes nothing (it reads well at the call site). ``until``
        only matters in real time (``RealTimeClock``): the jump is whole, whatever it says."""
        if seconds <= 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        self._simulator.advance_clock(seconds)
        self._harness.advance_clock(seconds)


class RealTimeClock:
    """The clock of a run without a harness that opted in to real time (``--fiwano-real-time``): ``advance``
    waits the seconds out, within the test's budget (``@pytest.mark.level("controlled", real_time=S)``),
    and the time waited is reported (property ``fiwano_real_time_seconds``, results.json and an evidence note).

    Instants a test computes are then approximate (real time also passes while requests run), so a test
    that checks one reads ``real_time`` and allows the elapsed time and the profile's tolerances.
    """

    real_time = True
    POLL_SECONDS = 0.5  # how often ``until`` is asked while waiting (it may ask the simulator over HTTP)

    def __init__(self, budget: float, request: pytest.FixtureRequest, evidence: Any) -> None:
        self.budget = budget
        self.waited = 0.0
        self._request = request
        self._evidence = evidence

    def now(self) -> datetime:
        from datetime import timezone

        return datetime.now(timezone.utc)

    def advance(self, seconds: float, worlds: Iterable[Any] = (), until: Callable[[], Any] | None = None) -> None:
        """Wait ``seconds`` out, or less: with ``until``, stop as soon as it holds (asked every
        ``POLL_SECONDS``), e.g. once the retry a test waits for has arrived."""
        import time

        from suites.plugin import missing_prerequisite

        if seconds <= 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        if self.waited + seconds > self.budget:
            missing_prerequisite(f"the test would wait {self.waited + seconds:.0f} s in real time, over its budget of "
                                 f"{self.budget:.0f} s; it needs the harness clock")
        started = time.monotonic()
        try:
            if until is None:
                time.sleep(seconds)
                return
            while not until():
                left = seconds - (time.monotonic() - started)
                if left <= 0:
                    return
                time.sleep(min(self.POLL_SECONDS, left))
        finally:
            self.waited += time.monotonic() - started

    def report(self) -> None:
        from fiwano_conformance.shared.results import REAL_TIME_PROPERTY

        self._request.node.user_properties.append((REAL_TIME_PROPERTY, round(self.waited, 1)))
        self._evidence.note(f"real time: waited {self.waited:.1f} s (budget {self.budget:.0f} s, --fiwano-real-time)")


@pytest.fixture
def clock(request: pytest.FixtureRequest, simulator: Any) -> Iterator[Any]:
    """``clock.now()`` and ``clock.advance(seconds, worlds=(...))``: the harness clock (controlled level), or,
    for a test allowed to run in real time at the simulated level, a clock that waits (``RealTimeClock``)."""
    from suites.plugin import REAL_TIME_KEY

    budget = request.node.stash.get(REAL_TIME_KEY, None)
    if budget is None:
        yield VirtualClock(request.getfixturevalue("harness"), simulator)
        return
    real = RealTimeClock(budget, request, request.getfixturevalue("evidence"))
    try:
        yield real
    finally:
        real.report()


@pytest.fixture
def time_synced(request: pytest.FixtureRequest) -> None:
    """For a test that needs Meta's clock and the target's to agree while it runs (Messenger read watermarks
    compare Meta's time with the time the target sent) without moving either: at the controlled level it
    holds the exclusive time lock like a clock test (another worker's clock move would land in the middle);
    below it nobody moves time, so it costs nothing."""
    return None


@pytest.fixture(autouse=True)
def _time_lock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keeps parallel workers that share ONE target (and simulator) from moving time under each other.

    A clock move is global: it would expire another worker's 5-minute code or fire its retries early. So
    when xdist workers share an external target, a test that uses ``clock`` holds an exclusive lock for its
    whole run and every other suite test a shared one (``flock`` on a file named after the target, in the
    temp directory the workers share). The embedded pair needs none: each worker starts its own.
    """
    import os

    from suites.plugin import fiwano_run, is_suite_item

    config = fiwano_run(request.config).config
    workerinput = getattr(request.config, "workerinput", None)  # set only in an xdist worker of THIS run
    if (not is_suite_item(request.node) or config.embedded
            or not workerinput or int(workerinput.get("workercount", 1)) < 2):
        yield
        return
    import fcntl
    import hashlib
    import tempfile

    name = hashlib.sha256(f"{config.target}|{config.simulator}".encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"fiwano-time-{name}.lock")
    from suites.plugin import REAL_TIME_KEY

    # a real-time clock moves nobody's time: it only waits
    exclusive = (("clock" in request.fixturenames and REAL_TIME_KEY not in request.node.stash)
                 or ("time_synced" in request.fixturenames
                     and fiwano_run(request.config).claimed_level() == "controlled"))
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["clock", "time_synced", "VirtualClock", "RealTimeClock", "_time_lock"]
