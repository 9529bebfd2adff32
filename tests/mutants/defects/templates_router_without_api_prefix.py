"""Template operations are mounted under /v1 instead of /api/v1 (the templates router's prefix lost '/api')."""

from __future__ import annotations

REQUIREMENTS = ("API-BASE-PATH",)


def apply() -> None:
    from tests.mutants.seams import change_route

    import reference.api.templates

    # every route of the router carries the prefix in its path; app.include_router copies it when the app is built
    for route in list(reference.api.templates.router.routes):
        for method in sorted(route.methods):
            change_route(reference.api.templates, "router", route.path, method, path=route.path.removeprefix("/api"))
