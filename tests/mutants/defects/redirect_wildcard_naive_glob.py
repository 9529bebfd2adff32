"""Redirect patterns are matched with fnmatch, so '*' matches any characters (RFC 9700 §4.1 bypass).

https://*.example.com/callback then accepts https://evil.test/.example.com/callback and friends.
"""

from __future__ import annotations

REQUIREMENTS = ("REDIRECT-WILDCARD-STRICT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from fnmatch import fnmatchcase

    import reference.api.connect

    def naive(pattern: str, uri: str) -> bool:
        return fnmatchcase(uri, pattern)

    replace_component(reference.api.connect, "matches", naive)
