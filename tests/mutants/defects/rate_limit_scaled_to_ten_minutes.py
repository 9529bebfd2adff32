"""The limit is kept as 1,000 requests per 10 minutes (the same average), so a burst of 201 is never throttled."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-429",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class TenMinuteWindow(SlidingWindowRateLimiter):
        def __init__(self, clock, limit, window_seconds):
            super().__init__(clock, limit * 10, float(window_seconds) * 10)

    replace_component(reference.app, "SlidingWindowRateLimiter", TenMinuteWindow)
