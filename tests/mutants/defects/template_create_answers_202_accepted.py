"""POST /channels/{id}/templates answers 202 Accepted (the template awaits Meta's review) instead of 200/201."""

from __future__ import annotations

REQUIREMENTS = ("API-CREATE-STATUS",)


def apply() -> None:
    from tests.mutants.seams import change_route

    import reference.api.templates

    change_route(reference.api.templates, "router", "/api/v1/channels/{channel_id}/templates", "POST",
                 status_code=202)
