"""Reads ?sync as a truthy string: sync=false still fetches the templates from Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIST-SYNC-FALSE",)


def apply() -> None:
    from typing import Any

    from tests.mutants.seams import wrap

    import reference.api.templates

    def truthy_string(sync_requested: Any) -> Any:
        def read(request: Any) -> bool:
            sync_requested(request)  # the same 422 for a value that is not a boolean
            return bool(request.query_params.get("sync", "true"))  # "false" is a non-empty string
        return read

    wrap(reference.api.templates, "sync_requested", truthy_string)
