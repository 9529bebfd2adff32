"""Refuses every 172.* and 100.* media_url host as private: a string-prefix check instead of the real ranges.

The classic "startswith('172.')" validator: 172.15.255.255, 172.32.0.1, 100.63.255.255 and 100.128.0.1 are
public addresses, but sends with them are answered 422.
"""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-URL-PUBLIC-IP-OK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.urls

    original = reference.urls.is_public_address

    def by_prefix(address) -> bool:
        if str(address).startswith(("172.", "100.")):
            return False
        return original(address)

    replace_component(reference.urls, "is_public_address", by_prefix)
