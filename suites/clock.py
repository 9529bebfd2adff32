"""The ``clock`` fixture: moves time for the target and the fake Meta together, never by sleeping.

Time rules (5-minute codes, 10-minute setup URLs, retry schedules over 20 minutes, 60-minute media,
token refresh) are tested on virtual clocks: the target's through its harness API
(``POST /harness/clock/advance``, controlled level) and the simulator's per world
(``POST /_sim/worlds/{id}/clock/advance``). A test that uses this fixture needs the controlled level.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

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
        """Move the target's clock by ``seconds`` (the target runs everything that became due before it
        answers) and each given world's simulator clock by the same amount."""
        if seconds <= 0:
            raise ValueError(f"a clock only moves forward; got {seconds} s")
        for world in worlds:
            self._simulator.advance_clock(seconds, world_id=getattr(world, "world_id", world))
        self._harness._ok(self._harness._send("POST", "/harness/clock/advance", json={"seconds": seconds}),
                          (200,), "advance clock")


@pytest.fixture
def clock(harness: HarnessClient, simulator: Any) -> VirtualClock:
    """``clock.now()`` and ``clock.advance(seconds, worlds=(...))``; controlled level."""
    return VirtualClock(harness, simulator)


__all__ = ["clock", "VirtualClock"]
