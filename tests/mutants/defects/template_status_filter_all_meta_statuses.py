"""Validates the list's status filter against all of Meta's template statuses: DELETED, PAUSED... are accepted."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIST-STATUS-VALUES",)


def apply() -> None:
    import reference.api.templates
    from tests.mutants.seams import replace_component

    replace_component(reference.api.templates, "STATUS_FILTERS", (
        "APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL", "PENDING_DELETION", "DELETED",
        "LIMIT_EXCEEDED"))
