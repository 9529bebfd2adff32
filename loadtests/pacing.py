"""Per-key pacing: each simulated user owns one API key and sends on a fixed time grid.

Locust's ``constant_pacing`` measures from the start of the last task, so lateness accumulates and a slow answer
shifts every later request. The rate-limit gates need the offered rate per key to be exact, so this pacer keeps
an absolute grid (slot k at ``start + phase + k * interval``) and never catches up on missed slots: a late
request goes out at once and the next one waits for the next grid slot. Within any window of W seconds a key
therefore sends at most ``W / interval + 1`` requests, whatever the target's latency.
"""

from __future__ import annotations

import math
import time
from typing import Callable


class Pacer:
    def __init__(self, interval: float, phase: float = 0.0, clock: Callable[[], float] = time.monotonic):
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self._clock = clock
        self._next = clock() + max(phase, 0.0)

    def next_delay(self) -> float:
        """Seconds to sleep before the next request; advances the grid by one slot (or past missed ones)."""
        now = self._clock()
        if now >= self._next:
            missed = math.floor((now - self._next) / self.interval) + 1
            self._next += missed * self.interval
            return 0.0
        delay = self._next - now
        self._next += self.interval
        return delay


def phase_for(key_index: int, interval: float, spread: int) -> float:
    """Spread the keys' first requests evenly over one interval, so that N keys do not fire in lockstep."""
    return (key_index % max(spread, 1)) / max(spread, 1) * interval
