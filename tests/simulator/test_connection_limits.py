"""Issue 18 row 8: both servers bound what one connection can hold. Before: 500 half-open connections stayed
open for 60 s and 1 MB of headers was read in full. Now a request head must arrive within the header timeout
(1 s here, 10 s by default) and may be at most 64 KiB (431 beyond), on the simulator and on the reference."""

from __future__ import annotations

import secrets
import socket
import time
from urllib.parse import urlsplit

import pytest

from fiwano_conformance import embedded

ENV = {"FIWANO_HEADER_TIMEOUT_SECONDS": "1"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("limits")
    secret, token = secrets.token_hex(8), secrets.token_hex(8)
    simulator = embedded.start_server("simulator", ["simulator", "--app-secret", secret, "--verify-token", token],
                                      workdir, env=ENV)
    try:
        reference = embedded.start_reference(workdir, simulator.url, secret, token, None, ["127.0.0.1"], "default",
                                             extra_env=ENV)
    except BaseException:
        simulator.stop()
        raise
    yield {"simulator": simulator.url, "reference": reference.url}
    reference.stop()
    simulator.stop()


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    return sock


def _read_all(sock: socket.socket, limit: float = 5.0) -> bytes:
    sock.settimeout(limit)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (ConnectionResetError, socket.timeout):
        pass
    return b"".join(chunks)


@pytest.mark.parametrize("server", ["simulator", "reference"])
def test_row8_half_open_connection_closed_after_the_header_timeout(servers, server):
    socks = [_connect(servers[server]) for _ in range(20)]
    for sock in socks:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # the head never completes
    started = time.monotonic()
    for sock in socks:
        assert _read_all(sock, limit=5.0) == b""  # closed by the server, without an answer
        sock.close()
    assert time.monotonic() - started < 4.5


@pytest.mark.parametrize("server", ["simulator", "reference"])
def test_row8_oversized_head_is_431(servers, server):
    sock = _connect(servers[server])
    try:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        for i in range(1024):  # 1 MB of headers
            try:
                sock.sendall(b"X-Fill-%d: %s\r\n" % (i, b"a" * 1000))
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = _read_all(sock)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize("server", ["simulator", "reference"])
def test_row8_normal_requests_still_served_on_a_kept_alive_connection(servers, server):
    sock = _connect(servers[server])
    try:
        for _ in range(3):
            sock.sendall(b"GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n" if server == "simulator"
                         else b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(5)
            answer = b""
            while b'"ok"' not in answer:
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    finally:
        sock.close()


def test_the_inline_copies_of_uvicorns_header_callbacks_are_uvicorns_own_code():
    """The guarded protocol does uvicorn's on_header and on_url inline only while they are the installed uvicorn's
    code (else it calls them); on the pinned uvicorn the inline path is the one every test here runs."""
    from fiwano_conformance import guarded_http

    assert guarded_http._ON_HEADER_IS_UVICORNS and guarded_http._ON_URL_IS_UVICORNS
