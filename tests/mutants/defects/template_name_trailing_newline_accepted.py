"""Accepts a template name with a trailing newline: the name rule uses re.match with '$' instead of a full match."""

from __future__ import annotations

import re

REQUIREMENTS = ("TPL-NAME-LOOKALIKES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.templates
    import reference.templates
    from reference.templates import TemplateError

    def validate_name(name, max_chars):
        if not isinstance(name, str) or not re.match(r"^[a-z0-9_]+$", name):
            raise TemplateError(422, "name must contain only lower-case letters a-z, digits and underscores")
        if len(name) > max_chars:
            raise TemplateError(422, f"name must be at most {max_chars} characters (got {len(name)})")
        return name

    # the one name validator, rebound where it is looked up (the API route and the service)
    replace_component(reference.api.templates, "validate_name", validate_name)
    replace_component(reference.templates, "validate_name", validate_name)
