"""The callback redirect replaces the query of the customer's redirect_uri with ?code=... (its parameters are lost)."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-CALLBACK-CODE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from urllib.parse import urlencode, urlsplit, urlunsplit

    import reference.api.connect

    def replace_query(uri: str, params: dict[str, str]) -> str:
        parts = urlsplit(uri)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))

    replace_component(reference.api.connect, "add_query", replace_query)
