"""Sends named template variables as positional parameters: parameter_name is dropped on the way to Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-NAMED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import template_body

    def positional_only(recipient, template, variables):
        body = template_body(recipient, template, variables)
        for component in body["template"].get("components", []):
            for parameter in component.get("parameters", []):
                parameter.pop("parameter_name", None)
        return body

    replace_component(reference.api.templates, "template_body", positional_only)
