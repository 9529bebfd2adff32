"""Connect to the address that was checked (issue 18 row 5: DNS rebinding).

Checking that a webhook host resolves to public addresses and then letting the HTTP client resolve it again
leaves a window: a name that answers a public address to the check and 127.0.0.1 to the connect (a short TTL
is enough) made the relay POST reach loopback. This httpcore network backend resolves the host itself, refuses
the connection unless every address is public, and connects to the address it checked. TLS still verifies the
certificate for the host name and sends it as SNI, and the Host header is unchanged: httpcore takes both from
the URL, not from the address connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing

import httpcore
import httpx

from reference.urls import is_public_address


class NotPublic(httpcore.ConnectError):
    """The host resolved to a non-public address at connect time."""


async def resolve_public(host: str, port: int) -> str:
    """One address of ``host`` to connect to, after checking every address it resolves to is public."""
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
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


class PinnedResolutionBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check, connect to the checked address; hosts in ``allow_hosts`` are connected to as given."""

    def __init__(self, allow_hosts: frozenset[str], inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_hosts = allow_hosts
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.AsyncNetworkStream:
        address = host if host.lower() in self.allow_hosts else await resolve_public(host, port)
        return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for webhooks")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def pinned_transport(ssl_context: typing.Any, allow_hosts: frozenset[str]) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (its request and error mapping), its connection pool on the pinned backend.

    httpx has no public parameter for a network backend, so the pool it built is swapped for one with the same
    settings (a fresh connection per request, as the relay wants) and the pinned backend.
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False,
                                         limits=httpx.Limits(max_keepalive_connections=0))
    transport._pool = httpcore.AsyncConnectionPool(  # see the docstring
        ssl_context=ssl_context, max_keepalive_connections=0,
        network_backend=PinnedResolutionBackend(allow_hosts))
    return transport
