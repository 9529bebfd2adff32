"""setup-url matches redirect_uri against the allowed redirects by origin only (scheme, host, port), not the path."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-REDIRECT-WHITELIST",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from urllib.parse import urlsplit

    import reference.api.connect

    original = reference.api.connect.matches

    def same_origin(pattern: str, uri: str) -> bool:
        p, u = urlsplit(pattern), urlsplit(uri)
        return original(f"{p.scheme}://{p.netloc}/", f"{u.scheme}://{u.netloc}/")

    replace_component(reference.api.connect, "matches", same_origin)
