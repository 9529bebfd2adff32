"""Per-API-key rate limit: an exact sliding-window log (at most N requests in any window of W seconds)."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from reference.clock import Clock


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until a slot frees up (0 when allowed)


class SlidingWindowRateLimiter:
    def __init__(self, clock: Clock, limit: int, window_seconds: float) -> None:
        self.clock = clock
        self.limit = int(limit)
        self.window = float(window_seconds)
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> RateDecision:
        """Count a request for ``key`` if a slot is free; a rejected request is not counted."""
        now = self.clock.now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            horizon = now - self.window
            while hits and hits[0] <= horizon:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = hits[0] + self.window - now
                return RateDecision(False, self.limit, 0, max(1, math.ceil(wait)))
            hits.append(now)
            return RateDecision(True, self.limit, self.limit - len(hits), 0)
