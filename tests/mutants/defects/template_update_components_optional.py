"""Treats components as optional in a template update: a PUT without them is sent to Meta as it is."""

from __future__ import annotations

from typing import Any

REQUIREMENTS = ("TPL-UPDATE-COMPONENTS-REQUIRED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import validate_components

    class OptionalComponents(reference.api.templates.TemplateUpdate):
        components: list[dict[str, Any]] | None = None

    def unless_absent(components):
        return components if components is None else validate_components(components)

    # the update model and the check the update route runs on it
    replace_component(reference.api.templates, "TemplateUpdate", OptionalComponents)
    replace_component(reference.api.templates, "validate_components", unless_absent)
