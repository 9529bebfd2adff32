"""DNS rebinding (issue 18 row 5): a webhook host that resolves public to the check and loopback to the connect
must not be connected to. Before the fix the check and httpx resolved separately: the POST reached 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

import pytest

from reference.crypto import WebhookSigner
from reference.relay import RelaySender

PUBLIC = "93.184.216.34"


@pytest.fixture
def listener():
    """A loopback socket standing for a service the relay must never reach."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _accepted(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def _rebinding_resolver(monkeypatch, answers: list[str]) -> list[str]:
    """getaddrinfo that answers ``answers`` in turn for rebind.example (the last one for ever)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        address = answers[min(len(asked) - 1, len(answers) - 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_row5_dns_rebinding_never_reaches_loopback(monkeypatch, listener):
    port = listener.getsockname()[1]
    asked = _rebinding_resolver(monkeypatch, [PUBLIC, "127.0.0.1"])
    sender = RelaySender(timeout_seconds=1.0, ca_file=None, allow_hosts=frozenset(), signer=WebhookSigner())

    async def run():
        try:
            return await sender.send(f"https://rebind.example:{port}/hook", b"{}", "secret", "message.received",
                                     "d1")
        finally:
            await sender.aclose()

    outcome = asyncio.run(run())
    assert len(asked) >= 2  # checked, then resolved again for the connection
    assert _accepted(listener) == 0, "the relay connected to loopback"
    assert outcome.ok is False
    assert "non-public address" in (outcome.error or "")


def test_row5_checked_public_address_is_the_one_connected(monkeypatch):
    """The connection goes to the address the check saw (here: public; the connect is recorded, then refused),
    with the host name kept for TLS (SNI and certificate verification)."""
    import ssl

    from reference.speedups.http1 import FastHTTPError
    from reference.webhook_http import WebhookClient

    _rebinding_resolver(monkeypatch, [PUBLIC])
    connected: list[tuple[str, int, str]] = []

    async def run():
        loop = asyncio.get_running_loop()

        async def recording(factory, host, port, **kwargs):
            connected.append((host, port, kwargs.get("server_hostname")))
            raise ConnectionRefusedError("recorded")

        monkeypatch.setattr(loop, "create_connection", recording)
        client = WebhookClient(ssl.create_default_context(), frozenset())
        try:
            with pytest.raises(FastHTTPError, match="ConnectError: recorded"):
                await client.post("https://rebind.example/hook", b"{}", {})
        finally:
            await client.aclose()

    asyncio.run(run())
    assert connected == [(PUBLIC, 443, "rebind.example")]

