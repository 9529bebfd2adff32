"""Reads a single template without its components column: GET returns the template with an empty components list."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("TPL-GET",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class LazyComponents(TemplateService):
        def get_local(self, channel_id, template_id):
            found = super().get_local(channel_id, template_id)
            return dataclasses.replace(found, components=[]) if found is not None else None

    replace_component(reference.app, "TemplateService", LazyComponents)
