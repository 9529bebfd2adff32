"""uri_pattern's scheme check is startswith("http"), so http:// patterns are registered as well as https://."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-HTTPS-ONLY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.connect
    from reference.redirects import validate_pattern

    def lenient(pattern):
        if isinstance(pattern, str) and pattern.lower().startswith("http://"):
            validate_pattern("https://" + pattern[len("http://"):])  # every other rule still applies
            return pattern
        return validate_pattern(pattern)

    replace_component(reference.api.connect, "validate_pattern", lenient)
