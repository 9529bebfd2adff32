"""Memory under oversized bodies (issue 18 rows 4 and 9): 4 concurrent 100 MB POSTs to the reference's
``/meta/webhook`` (no authentication needed) and to a simulator Graph path.

Prints the peak RSS (``VmHWM`` from ``/proc/PID/status``) of each server before and after, and for the
simulator what its journal kept of those bodies (cut to 64 KiB each, with size and SHA-256).

    python -m benchmarks.body_abuse                # 4 x 100 MB, Content-Length declared, then chunked
    python -m benchmarks.body_abuse --mb 10        # a quicker run
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from fiwano_conformance import embedded
from simulator.client import SimulatorClient

CHUNK = 1024 * 1024


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0])
    return values


def post_big(url: str, path: str, megabytes: int, chunked: bool, headers: dict[str, str] | None = None) -> str:
    """Stream ``megabytes`` MB to ``path``; the status line of the answer (or how the connection ended)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {megabytes * CHUNK}")
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        block = b" " * CHUNK
        for _ in range(megabytes):
            sock.sendall(b"%x\r\n%s\r\n" % (CHUNK, block) if chunked else block)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        answer = sock.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
    except (ConnectionResetError, socket.timeout) as exc:
        answer = f"({type(exc).__name__})"
    sock.close()
    return answer or "(closed)"


def abuse(url: str, path: str, megabytes: int, chunked: bool, headers: dict[str, str] | None = None) -> list[str]:
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(post_big(url, path, megabytes, chunked, headers)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="size of each of the 4 bodies in MB (default 100)")
    args = parser.parse_args(argv)
    from benchmarks._common import print_machine

    print_machine()
    with tempfile.TemporaryDirectory(prefix="body-abuse-") as tmp:
        pair = embedded.start_pair(Path(tmp))
        try:
            ref_pid, sim_pid = pair.reference.process.pid, pair.simulator.process.pid
            print(f"reference at start: {memory_kb(ref_pid)} kB")
            for chunked in (False, True):
                answers = abuse(pair.reference.url, "/meta/webhook", args.mb, chunked)
                how = "chunked" if chunked else "Content-Length"
                print(f"reference, 4 x {args.mb} MB /meta/webhook ({how}): answers {answers}; "
                      f"memory {memory_kb(ref_pid)} kB")
            with SimulatorClient(pair.simulator.url) as sim:
                world = sim.create_world(["whatsapp"], label="body-abuse")
                asset = world.asset("whatsapp")
                print(f"simulator at start: {memory_kb(sim_pid)} kB")
                answers = abuse(pair.simulator.url, f"/v21.0/{asset.asset_id}/messages", args.mb, False,
                                {"Authorization": f"Bearer {asset.access_token}"})
                entries = sim.journal(world.world_id)
                kept = sum(len(e.body) for e in entries)
                print(f"simulator, 4 x {args.mb} MB Graph POSTs: answers {answers}; memory {memory_kb(sim_pid)} kB; "
                      f"journal entries {len(entries)}, body characters kept {kept}, sizes "
                      f"{[e.body_size for e in entries]}, hashes kept {sum(bool(e.body_sha256) for e in entries)}")
        finally:
            pair.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
