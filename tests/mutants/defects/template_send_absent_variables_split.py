"""A send without variables gets one empty body parameter: absent variables are split like '' (''.split(',') == [''])."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-NO-VARIABLES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import template_body

    def split_absent(recipient, template, variables):
        if not variables:
            variables = {"body": "".split(",")}
        return template_body(recipient, template, variables)

    replace_component(reference.api.templates, "template_body", split_absent)
