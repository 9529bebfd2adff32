"""Treats every plain IPv6 literal in a media_url as public: [::1], [fe80::1], [fc00::1] are accepted.

Only IPv4 (and IPv4-mapped IPv6) addresses are checked against the private ranges.
"""

from __future__ import annotations

import ipaddress

REQUIREMENTS = ("MEDIA-SEND-URL-NO-PRIVATE-IP",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.urls

    original = reference.urls.is_public_address

    def ipv4_only(address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
            return True
        return original(address)

    replace_component(reference.urls, "is_public_address", ipv4_only)
