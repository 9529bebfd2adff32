"""Counts the rate limit per key AND route: a key gets L requests on each route instead of L in all."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-PER-KEY",)


def apply() -> None:
    import reference.api.common as common
    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    path_of: dict[str, str] = {}
    components = common.components

    def remembering(request):
        path_of["current"] = request.url.path
        return components(request)

    class PerRoute(SlidingWindowRateLimiter):
        def hit(self, key):
            return super().hit(f"{key} {path_of.get('current', '')}")

    common.components = remembering
    reference.app.SlidingWindowRateLimiter = PerRoute
