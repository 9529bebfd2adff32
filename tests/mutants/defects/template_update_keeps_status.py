"""An edited template keeps its old status (e.g. APPROVED) instead of going back to PENDING."""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-BACK-TO-PENDING",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class KeepsStatus(TemplateService):
        async def update(self, channel, template, components, category):
            await super().update(channel, template, components, category)
            self.db.execute("UPDATE templates SET status = ? WHERE id = ?", (template.status, template.id))
            return self.get_local(channel.id, template.id)

    replace_component(reference.app, "TemplateService", KeepsStatus)
