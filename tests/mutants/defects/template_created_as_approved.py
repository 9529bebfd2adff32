"""Stores a newly created template as APPROVED (optimistically) instead of PENDING until Meta has reviewed it."""

from __future__ import annotations

REQUIREMENTS = ("TPL-CREATE-PENDING",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class Optimistic(TemplateService):
        def _upsert(self, channel, meta):
            if str(meta.get("status") or "").upper() == "PENDING":
                meta = {**meta, "status": "APPROVED"}
            super()._upsert(channel, meta)

    replace_component(reference.app, "TemplateService", Optimistic)
