"""401 answers carry {"error": "unauthorized", "message": ...} instead of the documented {"detail": "..."}."""

from __future__ import annotations

REQUIREMENTS = ('AUTH-401-BODY',)


def apply() -> None:
    from tests.mutants.defects._shared import rewrite_error_body

    rewrite_error_body(401, lambda exc: {"error": "unauthorized", "message": exc.detail})
