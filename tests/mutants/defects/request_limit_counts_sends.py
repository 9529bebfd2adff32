"""Profile fiwano-2026-10: sends count against the 20 requests/s request limit like every other operation (the
changelog exempts sending)."""

from __future__ import annotations

REQUIREMENTS = ("RATE-REQUEST-LIMIT-SENDS-EXEMPT",)


def apply() -> None:
    from tests.mutants.seams import wrap

    import reference.v2026

    def make(limit_request):
        def counting_sends(comps, path, key_id):
            if path in reference.v2026.SEND_PATHS:
                counted = comps.request_limiter.hit(key_id)
                if not counted.allowed:
                    return counted, "requests per second"
            return limit_request(comps, path, key_id)
        return counting_sends

    wrap(reference.v2026, "limit_request", make)
