"""Does not require a BODY component: a template of only a HEADER or FOOTER is passed on to Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-BODY-REQUIRED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import validate_components

    def body_optional(components):
        if isinstance(components, list) and components and not any(
                isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY" for c in components):
            validate_components([*components, {"type": "BODY", "text": ""}])  # every other rule still checked
            return components
        return validate_components(components)

    replace_component(reference.api.templates, "validate_components", body_optional)
