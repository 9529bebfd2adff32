"""setup-url answers 202 Accepted instead of the documented 200 (201 Created is a reading the register accepts:
CONNECT-SETUP-URL created-201; 202 is neither)."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-URL",)


def apply() -> None:
    import reference.api.connect

    for route in reference.api.connect.api.routes:
        if getattr(route, "path", "").endswith("/channels/setup-url"):
            route.status_code = 202
