"""Accepts media headers (IMAGE, VIDEO, DOCUMENT, LOCATION) as Meta does: only TEXT headers are checked."""

from __future__ import annotations

REQUIREMENTS = ("TPL-HEADER-TEXT-ONLY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import validate_components

    def media_headers_too(components):
        if isinstance(components, list):
            validate_components([c for c in components if not (
                isinstance(c, dict) and str(c.get("type", "")).upper() == "HEADER"
                and str(c.get("format", "TEXT")).upper() != "TEXT")])
            return components
        return validate_components(components)

    replace_component(reference.api.templates, "validate_components", media_headers_too)
