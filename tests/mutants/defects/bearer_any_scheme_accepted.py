"""Profile fiwano-2026-10: the last word of the Authorization header is taken as the key, whatever its scheme
(Basic, or none at all)."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-BEARER-UNKNOWN-401",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "bearer_key", lambda authorization: (authorization[0].split() or [""])[-1] if authorization else None)
