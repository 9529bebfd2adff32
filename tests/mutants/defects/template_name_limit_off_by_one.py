"""Accepts a template name of 513 characters: the name length limit is off by one."""

from __future__ import annotations

REQUIREMENTS = ("TPL-NAME-MAX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    import reference.templates

    original = reference.templates.validate_name

    def one_more(name, max_chars):
        return original(name, max_chars + 1)

    # the one name validator, rebound where it is looked up (the API route and the service)
    replace_component(reference.api.templates, "validate_name", one_more)
    replace_component(reference.templates, "validate_name", one_more)
