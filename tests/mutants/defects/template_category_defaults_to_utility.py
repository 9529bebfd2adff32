"""Makes category optional when creating a template: a request without it is created as UTILITY."""

from __future__ import annotations

from typing import Literal

REQUIREMENTS = ("TPL-CREATE-REQUIRED-FIELDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates

    class DefaultCategory(reference.api.templates.TemplateCreate):
        category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] = "UTILITY"

    replace_component(reference.api.templates, "TemplateCreate", DefaultCategory)
