"""Profile fiwano-2026-10: the 429 of the request limit says Retry-After: 0 (retry at once), though the key
is refused until its oldest request leaves the window."""

from __future__ import annotations

REQUIREMENTS = ("RATE-REQUEST-LIMIT-RETRY-AFTER",)


def apply() -> None:
    from dataclasses import replace

    from tests.mutants.seams import wrap

    import reference.v2026

    def make(limit_request):
        def at_once(comps, path, key_id):
            decision, what = limit_request(comps, path, key_id)
            if not decision.allowed and path not in reference.v2026.SEND_PATHS:
                decision = replace(decision, retry_after=0)
            return decision, what
        return at_once

    wrap(reference.v2026, "limit_request", make)
