"""Sends template button parameters with a 1-based index: button 0 reaches Meta as index 1."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-POSITIONAL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    from reference.templates import template_body

    def one_based(recipient, template, variables):
        body = template_body(recipient, template, variables)
        for component in body["template"].get("components", []):
            if component.get("type") == "button":
                component["index"] = str(int(component["index"]) + 1)
        return body

    replace_component(reference.api.templates, "template_body", one_based)
