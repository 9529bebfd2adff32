"""Admits one request too many: L + 1 requests per window instead of L."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-429",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class OneMore(SlidingWindowRateLimiter):
        def __init__(self, clock, limit, window_seconds):
            super().__init__(clock, int(limit) + 1, window_seconds)

    replace_component(reference.app, "SlidingWindowRateLimiter", OneMore)
