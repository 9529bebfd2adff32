"""Counts refused requests too: a client that keeps retrying while throttled never gets served again."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-RECOVERY",)


def apply() -> None:
    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class CountsRefused(SlidingWindowRateLimiter):
        def hit(self, key):
            decision = super().hit(key)
            if not decision.allowed:
                with self._lock:
                    self._hits[key].append(self.clock.now())
            return decision

    reference.app.SlidingWindowRateLimiter = CountsRefused
