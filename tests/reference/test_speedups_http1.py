"""The HTTP/1.1 framing and keep-alive pool of reference/speedups/http1.py, through the Graph client that uses them
(``FastGraphHTTP``), against a scripted server on a real socket: every way an answer can end (Content-Length,
chunked, close-delimited), encoded bodies, connection reuse and its limits, and the errors with httpx's names.
Then ``MetaClient`` over the fast client and over httpx: the same answers give the same results.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from reference.meta_client import HttpxGraphHTTP, MetaClient, MetaResult
from reference.speedups import http1
from reference.speedups.graph_client import FastGraphHTTP
from reference.speedups.http1 import FastHTTPError

CLOSE = b"<close>"   # script entry: close the connection without answering
SILENT = b"<silent>"  # script entry: never answer


class ScriptedServer:
    """Plain-TCP HTTP/1.1 server: answers each request with the next raw bytes of ``script`` (repeating the last),
    closes the connection after an answer that says ``Connection: close`` or has no length, and records
    every request (head, body) and how many connections were opened."""

    def __init__(self, script: list[bytes]) -> None:
        self.script = list(script)
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections = 0
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._stop = asyncio.Event()

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._stop.set()
        self._server.close()
        await asyncio.sleep(0)  # let silent handlers see the stop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _next(self) -> bytes:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                self.requests.append((head, await reader.readexactly(length)))
                answer = self._next()
                if answer == CLOSE:
                    break
                if answer == SILENT:
                    await self._stop.wait()
                    break
                writer.write(answer)
                await writer.drain()
                lower = answer.lower()
                if b"connection: close" in lower or (b"content-length:" not in lower and b"chunked" not in lower):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _answer(body: bytes, *headers: str, status: str = "200 OK", length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _chunked(body: bytes, size: int = 5) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"".join(parts) + b"0\r\n\r\n")


BODY = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.1"}]}'


# A script that answers gets a timeout no loaded machine reaches (0.5 s once timed out a connect during the kit's
# whole run, so the "errors" case saw ConnectTimeout instead of Meta's answer); only a silent server's script
# waits its timeout out, and a short one keeps those cases fast.
ANSWERING_TIMEOUT = 30.0
SILENT_TIMEOUT = 0.5


def _with_client(script: list[bytes], work: Callable[[FastGraphHTTP, ScriptedServer], Awaitable[Any]],
                 **options: Any) -> tuple[Any, ScriptedServer]:
    async def main() -> tuple[Any, ScriptedServer]:
        async with ScriptedServer(script) as server:
            client = FastGraphHTTP(server.url + "/graph", **options)
            try:
                return await work(client, server), server
            finally:
                await client.aclose()

    return asyncio.run(main())


async def _get(client: FastGraphHTTP, server: ScriptedServer, times: int = 1) -> list[Any]:
    return [await client.request("GET", "/v21.0/me", {"Authorization": "Bearer t"}) for _ in range(times)]


@pytest.mark.parametrize("answer", [
    _answer(BODY),
    _chunked(BODY),
    _answer(gzip.compress(BODY), "Content-Encoding: gzip"),
    _answer(zlib.compress(BODY), "Content-Encoding: deflate"),
    _answer(zlib.compress(BODY)[2:-4], "Content-Encoding: deflate"),  # raw deflate, as some servers send it
    _answer(BODY, length=False),  # ends when the server closes the connection
], ids=["content-length", "chunked", "gzip", "deflate-zlib", "deflate-raw", "close-delimited"])
def test_every_framing_gives_the_whole_decoded_body(answer):
    answers, _ = _with_client([answer], _get)
    assert [(a.status_code, a.content, a.headers["content-type"]) for a in answers] == [
        (200, BODY, "application/json")]


def test_keep_alive_reuses_one_connection_and_sends_the_expected_head():
    async def work(client, server):
        first = await client.request("POST", "/v21.0/1/messages", {"Authorization": "Bearer t"}, b'{"a":1}')
        second = await client.request("POST", "/v21.0/1/subscribed_apps", {"Authorization": "Bearer t"})
        third = await client.request("GET", "/v21.0/1?fields=name", {"Authorization": "Bearer t"})
        return [first, second, third]

    answers, server = _with_client([_answer(BODY), _chunked(BODY), _answer(BODY)], work)
    assert [a.content for a in answers] == [BODY] * 3
    assert server.connections == 1
    heads = [head.decode().split("\r\n") for head, _ in server.requests]
    assert [h[0] for h in heads] == ["POST /graph/v21.0/1/messages HTTP/1.1",
                                     "POST /graph/v21.0/1/subscribed_apps HTTP/1.1",
                                     "GET /graph/v21.0/1?fields=name HTTP/1.1"]
    assert f"Host: 127.0.0.1:{server.port}" in heads[0] and "Authorization: Bearer t" in heads[0]
    assert "Content-Length: 7" in heads[0] and server.requests[0][1] == b'{"a":1}'
    assert "Content-Length: 0" in heads[1]  # a POST without a body says so
    assert not any(line.startswith("Content-Length") for line in heads[2])


@pytest.mark.parametrize("ending", [_answer(BODY, "Connection: close"), _answer(BODY, length=False)],
                         ids=["connection-close", "close-delimited"])
def test_an_answer_that_ends_the_connection_is_not_reused(ending):
    answers, server = _with_client([ending, _answer(BODY)], lambda c, s: _get(c, s, 2))
    assert [a.content for a in answers] == [BODY, BODY]
    assert server.connections == 2


def test_a_connection_idle_past_the_expiry_is_not_reused(monkeypatch):
    now = [1000.0]
    real = http1.time.monotonic
    monkeypatch.setattr(http1.time, "monotonic", lambda: now[0])

    async def work(client, server):
        first = await client.request("GET", "/v21.0/me")
        now[0] += 2.0  # keepalive_expiry
        second = await client.request("GET", "/v21.0/me")
        now[0] += 1.0
        third = await client.request("GET", "/v21.0/me")
        return [first, second, third]

    try:
        answers, server = _with_client([_answer(BODY)], work, keepalive_expiry=2.0)
    finally:
        monkeypatch.setattr(http1.time, "monotonic", real)
    assert len(answers) == 3
    assert server.connections == 2  # the third reused the second's connection (idle 1 s < 2 s)


@pytest.mark.parametrize("script, kind", [
    ([SILENT], "ReadTimeout"),
    ([CLOSE], "RemoteProtocolError"),
    ([b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 50\r\n\r\nshort"], "RemoteProtocolError"),  # closed mid-body
    ([b"NOT HTTP AT ALL\r\n\r\n"], "RemoteProtocolError"),
    ([_answer(b"not gzip", "Content-Encoding: gzip")], "DecodingError"),
], ids=["no-answer", "closed-before-answer", "closed-mid-body", "garbage", "bad-gzip"])
def test_failures_carry_httpx_names(script, kind):
    async def work(client, server):
        with pytest.raises(FastHTTPError) as caught:
            await client.request("GET", "/v21.0/me")
        return caught.value

    error, _ = _with_client(script, work, timeout=0.3 if script == [SILENT] else ANSWERING_TIMEOUT)
    assert error.kind == kind
    assert error.is_timeout == kind.endswith("Timeout")


def test_nothing_listening_is_a_connect_error():
    async def main():
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        client = FastGraphHTTP(f"http://127.0.0.1:{port}")
        try:
            with pytest.raises(FastHTTPError) as caught:
                await client.request("GET", "/v21.0/me")
        finally:
            await client.aclose()
        return caught.value

    assert asyncio.run(main()).kind == "ConnectError"


# MetaClient over both clients: one request path, the same results ------------------------------------------------

def _meta_results(script: list[bytes], speedups: bool) -> tuple[list[MetaResult], list[tuple[bytes, bytes]]]:
    timeout = SILENT_TIMEOUT if script == [SILENT] else ANSWERING_TIMEOUT

    async def main():
        async with ScriptedServer(script) as server:
            meta = MetaClient(server.url, "v21.0", timeout=timeout, speedups=speedups)
            assert isinstance(meta._http, FastGraphHTTP if speedups else HttpxGraphHTTP)
            try:
                results = [
                    await meta.send_message("101", "tok", {"messaging_product": "whatsapp", "text": {"body": "é"}}),
                    await meta.get_object("101", "tok", fields="name,id"),
                    await meta.subscribe_app("202", "tok"),
                    await meta.unsubscribe_app("202", "tok"),
                ]
            finally:
                await meta.aclose()
            return results, server.requests

    return asyncio.run(main())


ERROR = b'{"error":{"message":"Too many calls","type":"OAuthException","code":80007,"fbtrace_id":"x"}}'


@pytest.mark.parametrize("script", [
    [_answer(BODY), _chunked(BODY), _answer(gzip.compress(BODY), "Content-Encoding: gzip"), _answer(b"{}")],
    [_answer(ERROR, "Retry-After: 7", status="400 Bad Request"), _answer(b"oops", status="500 Internal Server Error"),
     _answer(b'{"error":{"message":"bad","code":100,"error_subcode":33}}', status="400 Bad Request"),
     _answer(b"", status="204 No Content")],
    [CLOSE],
    [SILENT],
], ids=["successes", "errors", "connection-closed", "timeout"])
def test_meta_client_gives_the_same_results_over_the_fast_client_and_httpx(script):
    fast, fast_requests = _meta_results(script, speedups=True)
    plain, plain_requests = _meta_results(script, speedups=False)
    assert fast == plain
    for (fast_head, fast_body), (plain_head, plain_body) in zip(fast_requests, plain_requests, strict=True):
        assert fast_body == plain_body
        assert _request_line_and(fast_head) == _request_line_and(plain_head)


def _request_line_and(head: bytes) -> tuple[str, dict[str, str]]:
    """The request line and the headers a Graph server reads (not the client's name or its accepted encodings)."""
    lines = head.decode("latin-1").split("\r\n")
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    fields["host"] = fields["host"].rsplit(":", 1)[0]  # (each run has its own server port)
    return lines[0], {k: fields[k] for k in ("host", "authorization", "content-type", "content-length") if k in fields}


def test_the_httpx_client_reports_failures_by_httpx_name():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("slow", request=request)

    async def main():
        meta = MetaClient("http://graph.test", "v21.0", transport=httpx.MockTransport(refuse))
        try:
            return await meta.send_message("1", "tok", {})
        finally:
            await meta.aclose()

    result = asyncio.run(main())
    assert (result.ok, result.transient, result.error_message) == (False, True, "timeout calling Meta: ConnectTimeout")
