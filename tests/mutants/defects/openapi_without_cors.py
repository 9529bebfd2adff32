"""Profile fiwano-2026-10: the OpenAPI documents carry no CORS headers (not importable cross-origin)."""

from __future__ import annotations

REQUIREMENTS = ("CONTRACT-OPENAPI-CORS",)


def apply() -> None:
    import reference.api.v2026 as routes

    routes.CORS_HEADERS = {}
