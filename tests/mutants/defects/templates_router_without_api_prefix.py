"""Template operations are mounted under /v1 instead of /api/v1 (the templates router's prefix lost '/api')."""

from __future__ import annotations

REQUIREMENTS = ("API-BASE-PATH",)


def apply() -> None:
    import reference.api.templates

    # the router's routes carry their full path; app.include_router copies route.path when the app is built
    for route in reference.api.templates.router.routes:
        if route.path.startswith("/api/v1/"):
            route.path = route.path[len("/api"):]
