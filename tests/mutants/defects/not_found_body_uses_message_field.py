"""404 answers carry {"message": "..."} instead of the documented error format {"detail": "..."}."""

from __future__ import annotations

REQUIREMENTS = ('ERR-FORMAT',)


def apply() -> None:
    from tests.mutants.defects._shared import rewrite_error_body

    rewrite_error_body(404, lambda exc: {"message": exc.detail})
