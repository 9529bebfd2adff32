"""DELETE removes the template only from the local mirror: Meta is never asked to delete it."""

from __future__ import annotations

REQUIREMENTS = ("TPL-DELETE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class LocalOnly(TemplateService):
        async def delete(self, channel, template, all_languages):
            victims = [t for t in self.list_local(channel.id) if t.name == template.name] if all_languages \
                else [template]
            for victim in victims:
                self.db.execute("DELETE FROM templates WHERE id = ?", (victim.id,))
            return [v.id for v in victims]

    replace_component(reference.app, "TemplateService", LocalOnly)
