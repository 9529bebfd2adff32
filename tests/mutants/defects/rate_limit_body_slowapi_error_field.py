"""429 answers carry {"error": "Rate limit exceeded: ..."} (slowapi's default handler) instead of {"detail": ...}."""

from __future__ import annotations

REQUIREMENTS = ('RATE-LIMIT-BODY',)


def apply() -> None:
    from tests.mutants.defects._shared import rewrite_error_body

    rewrite_error_body(429, lambda exc: {"error": f"Rate limit exceeded: {exc.detail}"})
