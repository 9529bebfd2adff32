"""Profile fiwano-2026-10: the OpenAPI documents carry no CORS headers (not importable cross-origin)."""

from __future__ import annotations

REQUIREMENTS = ("CONTRACT-OPENAPI-CORS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v2026 as routes

    replace_component(routes, "CORS_HEADERS", {})
