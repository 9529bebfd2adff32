"""Issue 17: instructions per request of the whole server (uvicorn + the app), the simulator's against a raw ASGI app.

``benchmarks/simulator_cpu.py`` counts the simulator's own work in process; under a server each request costs
about as much again (uvicorn's protocol, the ASGI task, the response head; on 2026-12-07 a text send was ~205k
instructions in process and ~442k under the server, against ~133k for the raw app). This script counts that
whole cost, independent of other load: each server runs under ``valgrind --tool=callgrind`` (the simulator as
``python -m fiwano_conformance simulator`` runs it, with the kit's protocol; the raw app as
``benchmarks/simulator_send.py`` runs it, on plain uvicorn), a small client in this process sends ``--requests``
requests over 16 kept-alive connections, and ``callgrind_control`` zeroes the counters before and dumps them after.
The ratio of the raw app's count to the simulator's is the ratio of req/s a saturated core would give, if every
instruction cost the same (system calls and cache misses are not counted: the wrk figures of
``benchmarks/simulator_send.py`` stay the figure of record). Under valgrind the servers run ~50x slower: a few
minutes for the defaults.

    python -m benchmarks.simulator_instructions                    # text send, 496 requests
    python -m benchmarks.simulator_instructions --paths text,profile --requests 992
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import (PYTHON, chosen_names, fmt_load, load_average, print_machine, start_process,
                                stop_process, wait_http)
from benchmarks.simulator_send import APP_SECRET, PATHS, _setup

CONNECTIONS = 16


def _request_bytes(method: str, path: str, body: str | None, headers: dict[str, str], host: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    data = body.encode() if body is not None else b""
    if body is not None:
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _connection(host: str, port: int, request: bytes, count: int) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(count):
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        at = head.lower().index(b"content-length:")
        await reader.readexactly(int(head[at + 15:head.index(b"\r\n", at)]))
    writer.close()
    return count


async def _drive(url: str, request: bytes, total: int) -> int:
    host, port = url.split("//")[1].rsplit(":", 1)
    done = await asyncio.gather(*(_connection(host, int(port), request, total // CONNECTIONS)
                                  for _ in range(CONNECTIONS)))
    return sum(done)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _count(pid: int, url: str, request: bytes, total: int, out: str) -> tuple[int, int]:
    """(requests sent, instructions counted while they were served)."""
    asyncio.run(_drive(url, request, 2 * CONNECTIONS * 10))  # warm up: every code path run, caches filled
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
    sent = asyncio.run(_drive(url, request, total))
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
    time.sleep(1)
    dumps = sorted(glob.glob(out + ".*"), key=os.path.getmtime)
    for line in Path(dumps[-1]).read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return sent, int(line.split()[1])
    raise RuntimeError(f"no totals in {dumps[-1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", default="text", help=f"comma-separated, of {', '.join(PATHS)}")
    parser.add_argument("--requests", type=int, default=496, help="requests per server and path (16 connections)")
    args = parser.parse_args()
    paths = chosen_names(parser, args.paths, PATHS)
    from fiwano_conformance.embedded import start_server

    print_machine()
    work = Path(tempfile.mkdtemp(prefix="fiwano-bench-instr-"))
    valgrind = ("valgrind", "--tool=callgrind", "--dump-instr=no")
    raw_port = _free_port()
    raw = start_process([*valgrind, f"--callgrind-out-file={work}/raw.cg", PYTHON, "-m", "uvicorn",
                         "benchmarks.raw_asgi:app", "--host", "127.0.0.1", "--port", str(raw_port), "--loop",
                         "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
                        work / "raw.log")
    sim = None
    try:
        sim = start_server("simulator", ["simulator", "--app-secret", APP_SECRET, "--verify-token", "bench-verify"],
                           work, timeout=300,
                           launcher=(*valgrind, f"--callgrind-out-file={work}/sim.cg", PYTHON, "-m",
                                     "fiwano_conformance"))
        raw_url = f"http://127.0.0.1:{raw_port}"
        wait_http(raw_url + "/", timeout=300)
        calls = _setup(sim.url)
        method, path, body, headers = calls["text"]  # the raw app gets the text send, as wrk sends it to both
        raw_request = _request_bytes(method, path, body, headers, raw_url.split("//")[1])
        raw_sent, raw_ir = _count(raw.pid, raw_url, raw_request, args.requests, f"{work}/raw.cg")
        print(f"raw ASGI (uvicorn)  {raw_ir / raw_sent:>10,.0f} instructions per request ({raw_sent} requests; "
              f"load {fmt_load(load_average())})", flush=True)
        for name in paths:
            method, path, body, headers = calls[name]
            request = _request_bytes(method, path, body, headers, sim.url.split("//")[1])
            sent, ir = _count(sim.process.pid, sim.url, request, args.requests, f"{work}/sim.cg")
            print(f"simulator {name:<10}{ir / sent:>10,.0f} instructions per request ({sent} requests): "
                  f"x{raw_ir / raw_sent / (ir / sent):.3f} of raw", flush=True)
    finally:
        if sim is not None:
            sim.kill()
        stop_process(raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
