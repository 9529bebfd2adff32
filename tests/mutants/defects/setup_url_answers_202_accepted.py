"""setup-url answers 202 Accepted instead of the documented 200 (201 Created is a reading the register accepts:
CONNECT-SETUP-URL created-201; 202 is neither)."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-URL",)


def apply() -> None:
    from tests.mutants.seams import change_route

    import reference.api.connect

    change_route(reference.api.connect, "api", "/api/v1/channels/setup-url", "POST", status_code=202)
