"""Never forgets a request: once a key has made L requests it stays throttled for ever."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-RECOVERY", "RATE-LIMIT-UNDER")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    class Forever(SlidingWindowRateLimiter):
        def __init__(self, clock, limit, window_seconds):
            super().__init__(clock, limit, 10 ** 9)

    replace_component(reference.app, "SlidingWindowRateLimiter", Forever)
