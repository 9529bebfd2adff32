"""Validation of URLs the reference (webhook_url) or Meta (media_url) will fetch: HTTPS, no userinfo, and no
private, loopback, link-local, unspecified or otherwise non-public address in any notation.

Host parsing is strict: anything a browser or libc might read differently (backslashes, whitespace,
percent-escapes or non-ASCII in the host, shorthand/decimal/octal/hex IPv4 forms) is either decoded the way
``inet_aton`` would and then checked, or refused.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_BLOCKED_NAMES = {"localhost", "localhost.localdomain", "metadata.google.internal", "metadata", "ip6-localhost",
                  "ip6-loopback", "broadcasthost"}
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".onion")


class UnsafeURL(ValueError):
    """The URL is not acceptable; the message says why (safe to show to the caller)."""


def _parse_legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Decode what inet_aton accepts: 1-4 parts, each decimal, 0x-hex or 0-octal (e.g. 2130706433, 0x7f.1)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or any(p == "" for p in parts):
        return None
    values = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part, 8))
            elif part.isdigit():
                values.append(int(part))
            else:
                return None
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    number = number * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(number)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address.sixtofour is not None:
            return is_public_address(address.sixtofour)
        if address.teredo is not None:
            return False
        packed = address.packed
        if packed[:12] == bytes(12):  # IPv4-compatible ::a.b.c.d (deprecated)
            return False
        if address in ipaddress.IPv6Network("64:ff9b::/96") or address in ipaddress.IPv6Network("64:ff9b:1::/48"):
            return is_public_address(ipaddress.IPv4Address(packed[-4:]))
    if (address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified
            or address.is_multicast or address.is_reserved or not address.is_global):
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in ipaddress.IPv4Network("100.64.0.0/10"):
        return False
    return True


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host string denotes, in any notation, or None if it is a name."""
    if host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        if "%" in inner:
            raise UnsafeURL("IPv6 zone identifiers are not allowed")
        try:
            return ipaddress.IPv6Address(inner)
        except ValueError as exc:
            raise UnsafeURL("malformed IPv6 address") from exc
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return _parse_legacy_ipv4(host)


def check_https_url(url: object, *, max_length: int | None = None, allow_hosts: frozenset[str] = frozenset(),
                    field: str = "url") -> str:
    """Return the URL when acceptable, else raise UnsafeURL with a reason."""
    if not isinstance(url, str) or not url:
        raise UnsafeURL(f"{field} must be a non-empty string")
    if max_length is not None and len(url) > max_length:
        raise UnsafeURL(f"{field} must be at most {max_length} characters (got {len(url)})")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url) or "\\" in url:
        raise UnsafeURL(f"{field} must not contain whitespace, control characters or backslashes")
    if not url.isascii():
        raise UnsafeURL(f"{field} must be ASCII (use punycode and percent-encoding)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"{field} is not a valid URL") from exc
    if parts.scheme.lower() != "https":
        raise UnsafeURL(f"{field} must use https")
    if not url.lower().startswith("https://"):
        raise UnsafeURL(f"{field} must start with https://")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeURL(f"{field} must not contain credentials (user:password@)")
    host = parts.hostname or ""
    netloc_host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if not host:
        raise UnsafeURL(f"{field} has no host")
    if port == 0:
        raise UnsafeURL(f"{field} has an invalid port")
    if "%" in parts.netloc:
        raise UnsafeURL(f"{field} must not percent-encode the host")
    if host in allow_hosts or netloc_host.lower() in allow_hosts:
        return url
    address = literal_address(netloc_host.lower() if netloc_host.startswith("[") else host)
    if address is not None and not netloc_host.startswith("[") and host != str(address):
        raise UnsafeURL(f"{field} uses a non-canonical IP address notation")
    if address is not None:
        if not is_public_address(address):
            raise UnsafeURL(f"{field} must not point to a private, loopback, link-local or reserved address")
        return url
    name = host.rstrip(".") if host.endswith(".") else host
    if host.endswith("."):
        raise UnsafeURL(f"{field} host must not end with a dot")
    labels = name.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise UnsafeURL(f"{field} host is not a valid public domain name")
    if labels[-1].isdigit() or all(label.isdigit() or label.startswith("0x") for label in labels):
        raise UnsafeURL(f"{field} host is not a valid public domain name")
    if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES):
        raise UnsafeURL(f"{field} must not point to a local or internal host name")
    return url


def resolve_is_public(host: str, port: int) -> bool:
    """Resolve ``host`` and say whether every address is public (used at delivery time)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    if not addresses:
        return False
    for text in addresses:
        try:
            if not is_public_address(ipaddress.ip_address(str(text).split("%")[0])):
                return False
        except ValueError:
            return False
    return True
