"""Counts in fixed windows aligned to multiples of W on the clock instead of a sliding window: a key that
spent L requests late in one window gets L more as soon as the next window starts."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-429",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import math

    import reference.app
    from reference.ratelimit import RateDecision, SlidingWindowRateLimiter

    class FixedWindow(SlidingWindowRateLimiter):
        def hit(self, key):
            now = self.clock.now()
            slot = math.floor(now / self.window)
            with self._lock:
                hits = self._hits.setdefault(key, [slot, 0])
                if hits[0] != slot:
                    hits[:] = [slot, 0]
                if hits[1] >= self.limit:
                    return RateDecision(False, self.limit, 0, max(1, math.ceil((slot + 1) * self.window - now)))
                hits[1] += 1
                return RateDecision(True, self.limit, self.limit - hits[1], 0)

    replace_component(reference.app, "SlidingWindowRateLimiter", FixedWindow)
