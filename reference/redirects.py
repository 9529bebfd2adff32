"""Allowed redirect URIs: registration rules and strict matching (exact, or one leading ``*.`` host wildcard).

A wildcard must be followed by a registrable domain or a name below one (the Public Suffix List decides:
``*.co.uk`` and ``*.github.io`` are refused). Matching compares parsed components, never substrings: scheme https, the same port, the exact path and
query, and a host equal to the pattern's host or (for ``https://*.example.com/...``) ending in ``.example.com``
with only valid DNS labels before it. Anything ambiguous (userinfo, backslashes, fragments, percent-escapes or
non-ASCII in the host, whitespace) is refused on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

MAX_LENGTH = 2048
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class RedirectError(ValueError):
    pass


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    """The Public Suffix List bundled with the package (ICANN and private sections; no network at runtime)."""
    return PublicSuffixList()


def is_registrable_or_below(host: str) -> bool:
    """``example.co.uk`` or ``app.example.com``: not a public suffix such as ``co.uk``, ``com`` or ``github.io``
    (issue 18 row 7: ``https://*.co.uk/cb`` was accepted, a pattern matching every company in the UK)."""
    return _public_suffixes().privatesuffix(host) is not None


@dataclass(frozen=True)
class ParsedUri:
    host: str
    port: int
    path: str
    query: str


def _parse(uri: object, *, allow_wildcard: bool, what: str) -> ParsedUri:
    if not isinstance(uri, str) or not uri:
        raise RedirectError(f"{what} must be a non-empty string")
    if len(uri) > MAX_LENGTH:
        raise RedirectError(f"{what} must be at most {MAX_LENGTH} characters")
    if not uri.isascii() or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in uri) or "\\" in uri:
        raise RedirectError(f"{what} must be ASCII without whitespace, control characters or backslashes")
    if not uri.lower().startswith("https://"):
        raise RedirectError(f"{what} must be an https:// URL")
    try:
        parts = urlsplit(uri)
        port = parts.port or 443
    except ValueError:
        raise RedirectError(f"{what} is not a valid URL") from None
    if "#" in uri:
        raise RedirectError(f"{what} must not contain a fragment")
    if "@" in parts.netloc:
        raise RedirectError(f"{what} must not contain credentials")
    if "%" in parts.netloc:
        raise RedirectError(f"{what} must not percent-encode the host")
    host = (parts.hostname or "").lower()
    if not host:
        raise RedirectError(f"{what} has no host")
    labels = host.split(".")
    if allow_wildcard and labels[0] == "*":
        rest = labels[1:]
        if (len(rest) < 2 or not all(_LABEL.match(x) for x in rest) or rest[-1].isdigit()
                or not is_registrable_or_below(".".join(rest))):
            raise RedirectError(f"{what}: a wildcard must be followed by at least a registrable domain "
                                "(https://*.example.com/...)")
    elif "*" in host:
        raise RedirectError(f"{what}: '*' is only allowed as the first label of the host"
                            if allow_wildcard else f"{what} must not contain '*'")
    elif not all(_LABEL.match(x) for x in labels):
        raise RedirectError(f"{what} host is not a valid domain name")
    if "*" in parts.path or "*" in parts.query:
        raise RedirectError(f"{what}: '*' is only allowed as the first label of the host")
    return ParsedUri(host=host, port=port, path=parts.path or "/", query=parts.query)


def validate_pattern(pattern: object) -> str:
    _parse(pattern, allow_wildcard=True, what="uri_pattern")
    assert isinstance(pattern, str)
    return pattern


def validate_uri(uri: object) -> ParsedUri:
    return _parse(uri, allow_wildcard=False, what="redirect_uri")


def matches(pattern: str, uri: str) -> bool:
    try:
        p = _parse(pattern, allow_wildcard=True, what="uri_pattern")
        u = validate_uri(uri)
    except RedirectError:
        return False
    if p.port != u.port or p.path != u.path or p.query != u.query:
        return False
    if p.host.startswith("*."):
        suffix = p.host[1:]  # ".example.com"
        if not u.host.endswith(suffix):
            return False
        head = u.host[: -len(suffix)]
        return bool(head) and all(_LABEL.match(x) for x in head.split("."))
    return p.host == u.host
