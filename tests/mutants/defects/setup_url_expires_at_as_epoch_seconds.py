"""setup-url answers expires_at as Unix epoch seconds (a number) instead of an ISO-8601 UTC string."""

from __future__ import annotations

REQUIREMENTS = ("API-TIMESTAMP-FORMAT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.connect

    def epoch(ts):
        return None if ts is None else int(ts)

    replace_component(reference.api.connect, "iso", epoch)  # the only timestamp rendered by the connect routes
