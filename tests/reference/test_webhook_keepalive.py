"""The relay's kept-alive webhook connections (reference/webhook_http.py, issue 17 item 3), on a real TLS socket.

A connection is reused only while the server keeps it open and for at most IDLE_SECONDS; an answer's head and
body are bounded; a timeout closes the connection; the exact bytes and headers are sent on every request.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest
import trustme

from reference import webhook_http
from reference.speedups import http1
from reference.crypto import WebhookSigner
from reference.relay import RelaySender


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    ca = trustme.CA()
    folder = tmp_path_factory.mktemp("keepalive-tls")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    return {"ca_file": str(ca_file), "server": server}


class Endpoint:
    """An HTTPS server in the test's event loop: counts connections, records requests, answers ``answer``."""

    def __init__(self, server_ctx: ssl.SSLContext, answer: bytes | None = None) -> None:
        self.ctx = server_ctx
        self.answer = answer if answer is not None else b"HTTP/1.1 204 No Content\r\n\r\n"
        self.connections = 0
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> "Endpoint":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ctx)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hooks/a?x=1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                self.requests.append((head, await reader.readexactly(length)))
                if self.answer == b"":  # never answer
                    await asyncio.Event().wait()
                writer.write(self.answer)
                await writer.drain()
                if b"connection: close" in self.answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


def _sender(tls, timeout: float = 5.0) -> RelaySender:
    return RelaySender(timeout_seconds=timeout, ca_file=tls["ca_file"], allow_hosts=frozenset({"127.0.0.1"}),
                       signer=WebhookSigner())


def _run(tls, answer: bytes | None, deliveries: int, timeout: float = 5.0, between=None):
    async def main():
        sender = _sender(tls, timeout)
        async with Endpoint(tls["server"], answer) as endpoint:
            outcomes = []
            try:
                for i in range(deliveries):
                    outcomes.append(await sender.send(endpoint.url, b'{"n":%d}' % i, "s3cret", "message.received",
                                                      f"dlv_{i}"))
                    if between is not None:
                        between()
            finally:
                await sender.aclose()
            return outcomes, endpoint

    return asyncio.run(main())


def test_deliveries_to_one_endpoint_share_one_connection_and_send_exact_bytes(tls):
    outcomes, endpoint = _run(tls, None, 3)
    assert [(o.ok, o.status, o.error) for o in outcomes] == [(True, 204, None)] * 3
    assert endpoint.connections == 1
    assert [body for _, body in endpoint.requests] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
    head = endpoint.requests[2][0].decode("latin-1")
    assert head.startswith("POST /hooks/a?x=1 HTTP/1.1\r\n")
    lines = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:] if line}
    assert lines["host"] == f"127.0.0.1:{endpoint.port}"
    assert lines["content-type"] == "application/json"
    assert lines["content-length"] == "7"
    assert lines["x-webhook-id"] == "dlv_2" and lines["x-webhook-event"] == "message.received"
    assert lines["x-webhook-signature"] == WebhookSigner().sign(b'{"n":2}', "s3cret")


def test_a_connection_idle_for_idle_seconds_is_not_reused(tls, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(http1.time, "monotonic", lambda: now[0])

    def idle_past_expiry() -> None:
        now[0] += webhook_http.IDLE_SECONDS

    outcomes, endpoint = _run(tls, None, 2, between=idle_past_expiry)
    assert [o.ok for o in outcomes] == [True, True]
    assert endpoint.connections == 2


def test_a_connection_the_server_closes_is_not_reused(tls):
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    outcomes, endpoint = _run(tls, answer, 3)
    assert [(o.ok, o.status) for o in outcomes] == [(True, 200)] * 3
    assert endpoint.connections == 3


def test_an_answer_head_over_64_kib_is_a_failed_attempt(tls):
    answer = b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (webhook_http.MAX_HEAD_BYTES + 1) + b"\r\nContent-Length: 0\r\n\r\n"
    outcomes, endpoint = _run(tls, answer, 2)
    assert [o.ok for o in outcomes] == [False, False]
    assert outcomes[0].error == "RemoteProtocolError: response head larger than 64 KiB"
    assert endpoint.connections == 2  # the connection was closed, not reused


def test_a_long_answer_body_is_not_read_to_its_end_and_the_status_decides(tls):
    size = webhook_http.MAX_BODY_BYTES * 3
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size
    outcomes, endpoint = _run(tls, answer, 2)
    assert [(o.ok, o.status) for o in outcomes] == [(True, 200), (True, 200)]
    assert endpoint.connections == 2  # not reused: the rest of that body was never read


def test_no_answer_within_the_budget_fails_and_closes_the_connection(tls):
    outcomes, endpoint = _run(tls, b"", 2, timeout=0.2)
    assert [(o.ok, o.status, o.error) for o in outcomes] == [(False, None, "no answer within 0.2 s")] * 2
    assert endpoint.connections == 2


def test_a_redirect_is_not_followed(tls):
    answer = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: https://127.0.0.1:1/x\r\nContent-Length: 0\r\n\r\n"
    outcomes, endpoint = _run(tls, answer, 1)
    assert [(o.ok, o.status, o.error) for o in outcomes] == [(False, 307, "HTTP 307")]
    assert len(endpoint.requests) == 1
