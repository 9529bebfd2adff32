"""Passes unknown component types (CAROUSEL, LIMITED_TIME_OFFER, ...) on to Meta: only the known ones are checked."""

from __future__ import annotations

REQUIREMENTS = ("TPL-COMPONENT-TYPES",)

KNOWN = ("BODY", "HEADER", "FOOTER", "BUTTONS")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import validate_components

    def known_only(components):
        if isinstance(components, list):
            validate_components([c for c in components if not (
                isinstance(c, dict) and isinstance(c.get("type"), str) and c["type"].upper() not in KNOWN)])
            return components
        return validate_components(components)

    replace_component(reference.api.templates, "validate_components", known_only)
