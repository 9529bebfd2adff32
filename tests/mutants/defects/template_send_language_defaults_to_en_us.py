"""Makes language optional in send-template: a request without it is sent in en_US."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-REQUIRED-FIELDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from pydantic import Field

    import reference.api.templates

    class DefaultLanguage(reference.api.templates.SendTemplate):
        language: str = Field(default="en_US", min_length=1, max_length=20)

    replace_component(reference.api.templates, "SendTemplate", DefaultLanguage)
