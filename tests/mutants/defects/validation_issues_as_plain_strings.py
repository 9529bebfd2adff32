"""Validation errors list their issues as plain strings ("body.text: Field required"), not as {loc, msg, type} objects."""

from __future__ import annotations

REQUIREMENTS = ("CONTRACT-RESPONSE-SCHEMA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.common

    def flatten(errors, prefix=("body",)):
        issues = []
        for error in errors:
            loc = [*prefix, *[str(part) for part in error.get("loc", ()) if part != "body"]]
            issues.append(f"{'.'.join(loc)}: {error.get('msg', 'invalid value')}")
        return issues

    replace_component(reference.api.common, "_clean_errors", flatten)  # used by parse_body and the request-validation handler
