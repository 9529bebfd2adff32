"""Does not validate parameter_format: any string (or an empty one) is passed on to Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-PARAMETER-FORMAT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates

    class FreeFormat(reference.api.templates.TemplateCreate):
        parameter_format: str = "positional"

    replace_component(reference.api.templates, "TemplateCreate", FreeFormat)
