"""Issue 16: the reference's CPU per Graph call through ``MetaClient``, on each way it can send one.

* ``FastGraphHTTP`` (reference/speedups/graph_client.py, the speed-ups on),
* httpx (``--no-speedups``),
* httpx's client over a transport built on ``FastGraphHTTP``: the design issue 16 proposed ("the Graph client
  as an httpx transport"), measured here to decide it (docs/reference.md).

The server is a minimal asyncio HTTP/1.1 server in a subprocess that answers a WhatsApp send's body, so the
figure is this process's CPU time per call (user + system) over ``--requests`` sends: the client's cost only.

    python -m benchmarks.graph_client --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

import httpx

from benchmarks._common import print_machine
from reference.meta_client import HttpxGraphHTTP, MetaClient
from reference.speedups.graph_client import FastGraphHTTP

SERVER = r'''
import asyncio
BODY = b'{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.x"}]}'
ANS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
async def serve(r, w):
    try:
        while True:
            head = await r.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"): n = int(line.split(b":")[1])
            if n: await r.readexactly(n)
            w.write(ANS)
    except Exception:
        pass
async def main():
    s = await asyncio.start_server(serve, "127.0.0.1", PORT)
    async with s: await s.serve_forever()
asyncio.run(main())
'''

class FastTransport(httpx.AsyncBaseTransport):
    """httpx transport on FastGraphHTTP (the measured alternative, not used by the reference)."""

    def __init__(self, fast: FastGraphHTTP) -> None:
        self.fast = fast

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        answer = await self.fast.request(request.method, request.url.raw_path.decode(), dict(request.headers),
                                         body or None)
        return httpx.Response(answer.status_code, headers=list(answer.headers.items()), content=answer.content)

async def run(name: str, meta: MetaClient, n: int) -> None:
    body = {"messaging_product": "whatsapp", "to": "15551234", "type": "text", "text": {"body": "hello"}}
    for _ in range(200):
        await meta.send_message("101", "tok", body)
    t = time.process_time()
    w = time.perf_counter()
    for _ in range(n):
        r = await meta.send_message("101", "tok", body)
        assert r.ok
    cpu = (time.process_time() - t) / n * 1e6
    print(f"{name:42s} {cpu:7.0f} us CPU/call  ({(time.perf_counter() - w) / n * 1e6:6.0f} us wall)")
    await meta.aclose()

async def measure(port: int, n: int) -> None:
    url = f"http://127.0.0.1:{port}"
    await run("MetaClient + FastGraphHTTP (speedups)", MetaClient(url, "v21.0"), n)
    await run("MetaClient + httpx (--no-speedups)", MetaClient(url, "v21.0", speedups=False), n)
    m = MetaClient(url, "v21.0", speedups=False)
    m._client = httpx.AsyncClient(base_url=url, transport=FastTransport(FastGraphHTTP(url)), trust_env=False)
    m._http = HttpxGraphHTTP(m._client)
    await run("MetaClient + httpx client, fast transport", m, n)

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.graph_client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="sends per client (default 2000)")
    args = parser.parse_args(argv)
    print_machine()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", SERVER.replace("PORT", str(port))])
    try:
        time.sleep(0.5)  # the server's start (a benchmark, not a test)
        asyncio.run(measure(port, args.requests))
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
