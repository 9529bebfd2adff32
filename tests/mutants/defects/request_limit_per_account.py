"""Profile fiwano-2026-10: the request limit counts per account, not per API key (every key of an account shares
one budget of 20 requests/s)."""

from __future__ import annotations

REQUIREMENTS = ("RATE-REQUEST-LIMIT-SENDS-EXEMPT",)


def apply() -> None:
    from tests.mutants.seams import wrap

    import reference.v2026

    def make(limit_request):
        def per_account(comps, path, key_id):
            if path in reference.v2026.SEND_PATHS:
                return limit_request(comps, path, key_id)
            row = comps.db.one("SELECT account_id FROM api_keys WHERE id = ?", (key_id,))
            return limit_request(comps, path, f"account:{row['account_id']}" if row else key_id)
        return per_account

    wrap(reference.v2026, "limit_request", make)
