"""Deletes every language version of a template even without all_languages=true."""

from __future__ import annotations

REQUIREMENTS = ("TPL-DELETE-ONE-LANGUAGE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class DeleteEverything(TemplateService):
        async def delete(self, channel, template, all_languages):
            return await super().delete(channel, template, True)

    replace_component(reference.app, "TemplateService", DeleteEverything)
