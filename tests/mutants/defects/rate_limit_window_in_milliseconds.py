"""The rate-limit window is taken in milliseconds (60 ms instead of 60 s), so a client is practically never throttled."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-429",)


def apply() -> None:
    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class MillisecondWindow(SlidingWindowRateLimiter):
        def __init__(self, clock, limit, window_seconds):
            super().__init__(clock, limit, float(window_seconds) / 1000.0)

    reference.app.SlidingWindowRateLimiter = MillisecondWindow
