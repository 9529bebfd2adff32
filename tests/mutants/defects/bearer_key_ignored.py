"""Profile fiwano-2026-10: the Authorization: Bearer key is never read (only X-API-Key authenticates)."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-BEARER-ACCEPTED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "bearer_key", lambda authorization: None)
