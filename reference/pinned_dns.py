"""Connect to the address that was checked (issue 18 row 5: DNS rebinding).

Checking that a webhook host resolves to public addresses and then letting the HTTP client resolve it again
leaves a window: a name that answers a public address to the check and 127.0.0.1 to the connect (a short TTL
is enough) made the relay POST reach loopback. The relay's connections (reference/webhook_http.py) therefore
resolve the host here, are refused unless every address is public, and connect to the address checked. TLS
still verifies the certificate for the host name and sends it as SNI, and the Host header is unchanged: both
come from the URL, not from the address connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from reference.urls import is_public_address


class NotPublic(OSError):
    """The host resolved to a non-public address at connect time."""


async def resolve_public(host: str, port: int) -> str:
    """One address of ``host`` to connect to, after checking every address it resolves to is public."""
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise NotPublic(f"{host} does not resolve to any address")
    for text in addresses:
        try:
            public = is_public_address(ipaddress.ip_address(text.split("%")[0]))
        except ValueError:
            public = False
        if not public:
            raise NotPublic(f"{host} resolves to a non-public address at connect time")
    return addresses[0]
