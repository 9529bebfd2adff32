"""Lower-cases a template name before checking it: 'Order_Confirmation' is created as 'order_confirmation'."""

from __future__ import annotations

REQUIREMENTS = ("TPL-NAME-CHARSET",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    import reference.templates

    original = reference.templates.validate_name

    def lowered(name, max_chars):
        return original(name.lower() if isinstance(name, str) else name, max_chars)

    # the one name validator, rebound where it is looked up (the API route and the service)
    replace_component(reference.api.templates, "validate_name", lowered)
    replace_component(reference.templates, "validate_name", lowered)
