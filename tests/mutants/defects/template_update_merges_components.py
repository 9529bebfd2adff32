"""PUT merges the given components into the old ones by type instead of replacing them all."""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-REPLACE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class Merging(TemplateService):
        async def update(self, channel, template, components, category):
            given = {str(c.get("type", "")).upper() for c in components}
            kept = [c for c in template.components if str(c.get("type", "")).upper() not in given]
            return await super().update(channel, template, kept + components, category)

    replace_component(reference.app, "TemplateService", Merging)
