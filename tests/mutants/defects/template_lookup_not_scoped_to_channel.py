"""Looks a template up by its id alone: a template of another channel or account is found through this channel."""

from __future__ import annotations

REQUIREMENTS = ("TPL-404",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService, _template

    class Unscoped(TemplateService):
        def get_local(self, channel_id, template_id):
            row = self.db.one("SELECT * FROM templates WHERE id = ?", (template_id,))
            return _template(row) if row else None

    replace_component(reference.app, "TemplateService", Unscoped)
