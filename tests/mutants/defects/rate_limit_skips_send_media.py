"""Forgets the rate limit on one route: POST /messages/send-media is served to a key that spent its budget."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-429",)


def apply() -> None:
    from tests.mutants.defects._shared import limiter_seeing_the_path
    from reference.ratelimit import RateDecision

    def exempt_send_media(base, current_path):
        class Exempt(base):
            def hit(self, key):
                if current_path().endswith("/messages/send-media"):
                    return RateDecision(True, self.limit, self.limit, 0)
                return super().hit(key)
        return Exempt

    limiter_seeing_the_path(exempt_send_media)
