"""Refuses a category change only while the template is PENDING: an APPROVED template's category can be changed."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("TPL-UPDATE-CATEGORY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class PendingLockOnly(TemplateService):
        async def update(self, channel, template, components, category):
            if category is not None and template.status != "PENDING":
                # the REJECTED/PAUSED check sees no change of category; the edit limits still apply
                template = dataclasses.replace(template, category=category)
            return await super().update(channel, template, components, category)

    replace_component(reference.app, "TemplateService", PendingLockOnly)
