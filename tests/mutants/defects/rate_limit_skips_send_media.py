"""Forgets the rate limit on one route: POST /messages/send-media is served to a key that spent its budget."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-429",)


def apply() -> None:
    import reference.api.common as common
    import reference.app
    from reference.ratelimit import RateDecision, SlidingWindowRateLimiter

    path_of: dict[str, str] = {}
    components = common.components

    def remembering(request):
        path_of["current"] = request.url.path
        return components(request)

    class Exempt(SlidingWindowRateLimiter):
        def hit(self, key):
            if path_of.get("current", "").endswith("/messages/send-media"):
                return RateDecision(True, self.limit, self.limit, 0)
            return super().hit(key)

    common.components = remembering
    reference.app.SlidingWindowRateLimiter = Exempt
