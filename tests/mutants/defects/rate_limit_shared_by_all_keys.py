"""Counts the rate limit in one bucket for every API key instead of per key."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-PER-KEY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class OneBucket(SlidingWindowRateLimiter):
        def hit(self, key):
            return super().hit("everyone")

    replace_component(reference.app, "SlidingWindowRateLimiter", OneBucket)
