"""Profile fiwano-2026-10: the request limit admits one request too many (21 per second instead of 20)."""

from __future__ import annotations

REQUIREMENTS = ("RATE-REQUEST-LIMIT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026
    from reference.ratelimit import SlidingWindowRateLimiter

    class OneMore(SlidingWindowRateLimiter):
        def __init__(self, clock, limit, window_seconds):
            super().__init__(clock, int(limit) + 1, window_seconds)

    replace_component(reference.v2026, "SlidingWindowRateLimiter", OneMore)
