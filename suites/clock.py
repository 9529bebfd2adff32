"""The ``clock`` fixture: moves time for the target and the fake Meta together, never by sleeping.

Time rules (5-minute codes, 10-minute setup URLs, retry schedules over 20 minutes, 60-minute media,
token refresh) are tested on virtual clocks: the target's through its harness API
(``POST /harness/clock/advance``, controlled level) and the simulator's global clock
(``POST /_sim/clock/advance``), which every world follows. Both move by the same amount, so the two sides
never drift apart: a world created after an earlier test moved time still agrees with the target about
"now" (Messenger read watermarks, 24-hour windows and token expiry compare the two sides' times).
A test that uses this fixture needs the controlled level.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Iterator

import pytest

from suites.clients import HarnessClient


class VirtualClock:
    """Reads and advances the target's clock, and the clocks of the simulator worlds a test names."""

    def __init__(self, harness: HarnessClient, simulator: Any) -> None:
        self._harness = harness
        self._simulator = simulator

    def now(self) -> datetime:
        """The target's current time (timezone-aware)."""
        data = self._harness._ok(self._harness._send("GET", "/harness/clock"), (200,), "read clock")
        return datetime.fromisoformat(data["now"].replace("Z", "+00:00"))

    def advance(self, seconds: float, worlds: Iterable[Any] = ()) -> None:
        """Move the simulator's clock and the target's clock by ``seconds``; the target runs everything that
        became due before it answers. ``worlds`` names the worlds the test relies on; they all follow the
        simulator's global clock, so naming them changes nothing (it reads well at the call site)."""
        if seconds <= 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        self._simulator.advance_clock(seconds)
        self._harness._ok(self._harness._send("POST", "/harness/clock/advance", json={"seconds": seconds}),
                          (200,), "advance clock")


@pytest.fixture
def clock(harness: HarnessClient, simulator: Any) -> VirtualClock:
    """``clock.now()`` and ``clock.advance(seconds, worlds=(...))``; controlled level."""
    return VirtualClock(harness, simulator)


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
    exclusive = "clock" in request.fixturenames
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["clock", "VirtualClock", "_time_lock"]
