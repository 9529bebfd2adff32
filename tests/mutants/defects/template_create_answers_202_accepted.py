"""POST /channels/{id}/templates answers 202 Accepted (the template awaits Meta's review) instead of 200/201."""

from __future__ import annotations

REQUIREMENTS = ("API-CREATE-STATUS",)


def apply() -> None:
    import reference.api.templates

    for route in reference.api.templates.router.routes:
        if route.path.endswith("/templates") and "POST" in route.methods:
            route.status_code = 202  # copied by app.include_router when the app is built
