"""Sync only inserts templates it has not seen: the status of a mirrored template never follows Meta's review."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIFECYCLE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class InsertOnly(TemplateService):
        def _upsert(self, channel, meta):
            meta_id = str(meta.get("id") or "")
            if meta_id and self.db.one("SELECT id FROM templates WHERE channel_id = ? AND meta_template_id = ?",
                                       (channel.id, meta_id)):
                return
            super()._upsert(channel, meta)

    replace_component(reference.app, "TemplateService", InsertOnly)
