"""The '*' of a redirect pattern is matched by a regex for ONE DNS label, so https://a.b.example.com is refused."""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-WILDCARD",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import re

    import reference.api.connect

    def matches(pattern: str, uri: str) -> bool:
        regex = re.escape(pattern.lower()).replace(r"\*", "[a-z0-9-]+")
        return re.fullmatch(regex, uri.lower()) is not None

    replace_component(reference.api.connect, "matches", matches)
