"""setup-url answers 201 Created (it creates a setup session) instead of the documented 200."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-URL",)


def apply() -> None:
    import reference.api.connect

    for route in reference.api.connect.api.routes:
        if getattr(route, "path", "").endswith("/channels/setup-url"):
            route.status_code = 201
