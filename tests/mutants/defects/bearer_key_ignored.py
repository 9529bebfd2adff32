"""Profile fiwano-2026-10: the Authorization: Bearer key is never read (only X-API-Key authenticates)."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-BEARER-ACCEPTED",)


def apply() -> None:
    import reference.v2026

    reference.v2026.bearer_key = lambda authorization: None
