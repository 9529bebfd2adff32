"""Counts the rate limit per key AND route: a key gets L requests on each route instead of L in all."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-PER-KEY",)


def apply() -> None:
    from tests.mutants.defects._shared import limiter_seeing_the_path
    def per_route(base, current_path):
        class PerRoute(base):
            def hit(self, key):
                return super().hit(f"{key} {current_path()}")
        return PerRoute

    limiter_seeing_the_path(per_route)
