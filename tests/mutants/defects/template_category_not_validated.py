"""Does not validate the category of a new template: any string is passed on to Meta."""

from __future__ import annotations

from typing import Any

REQUIREMENTS = ("TPL-CATEGORY-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates

    class FreeCategory(reference.api.templates.TemplateCreate):
        category: Any

    replace_component(reference.api.templates, "TemplateCreate", FreeCategory)
