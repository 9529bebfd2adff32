"""Ignores all_languages=true: DELETE always removes only the one language version it names."""

from __future__ import annotations

REQUIREMENTS = ("TPL-DELETE-ALL-LANGUAGES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class OneLanguageOnly(TemplateService):
        async def delete(self, channel, template, all_languages):
            return await super().delete(channel, template, False)

    replace_component(reference.app, "TemplateService", OneLanguageOnly)
