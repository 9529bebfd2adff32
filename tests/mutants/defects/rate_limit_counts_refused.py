"""Counts refused requests too: a client that keeps retrying while throttled never gets served again."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-RECOVERY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class CountsRefused(SlidingWindowRateLimiter):
        def hit(self, key):
            decision = super().hit(key)
            if not decision.allowed:
                with self._lock:
                    self._hits[key].append(self.clock.now())
            return decision

    replace_component(reference.app, "SlidingWindowRateLimiter", CountsRefused)
