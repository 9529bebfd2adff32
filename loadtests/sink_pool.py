"""The load run's webhook sink as N processes on one port: one core is not the limit of what the run can receive.

Each worker is the ordinary sink (``loadtests.sink.Sink``) in a process of its own, bound with ``SO_REUSEPORT``
to the same address (the kernel spreads the target's connections over them), appending every record to its own
JSONL file as it arrives. The pool reads those files (incrementally: only what was appended since the last read)
and merges them by arrival time, so the reconciliation sees one list of records exactly as from a single sink;
``sink.jsonl`` is the merged list and ``sink-workers/sink-<i>.jsonl`` the workers' own. Arrival times come from
one host clock (the workers share it). Across hosts, a sink per host behind a TCP load balancer and the files
collected after the run do the same (docs/scaling.md).

``python -m loadtests.sink_pool --host H --port P --ca-dir D --records FILE --ready FILE`` is one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from loadtests.sink import Sink, SinkRecord

START_TIMEOUT_SECONDS = 30.0


class SinkPool:
    """The same interface as :class:`~loadtests.sink.Sink` (``start``, ``url``, ``ca_file``, ``records``,
    ``count``, ``write_jsonl``, ``stop``), served by ``workers`` processes."""

    def __init__(self, ca_dir: Path, workers: int, out_dir: Path, host: str = "127.0.0.1", port: int = 0,
                 public_url: str | None = None) -> None:
        if workers < 2:
            raise ValueError("a sink pool has at least two workers (one is loadtests.sink.Sink)")
        from fiwano_conformance.shared.kit_ca import ca_file, ensure_ca

        ensure_ca(ca_dir)  # made once here, loaded by every worker
        self.ca_file = ca_file(ca_dir)
        self._ca_dir, self._workers, self._host, self._port = ca_dir, workers, host, port
        self._public_url = public_url
        self._dir = Path(out_dir) / "sink-workers"
        self._processes: list[subprocess.Popen[bytes]] = []
        self._files: list[Path] = []
        self._offsets: list[int] = []
        self._records: list[SinkRecord] = []
        self._lock = threading.Lock()
        self._bound_port = 0

    def start(self) -> "SinkPool":
        self._dir.mkdir(parents=True, exist_ok=True)
        # hold the port (bound, not listening: it receives nothing) until every worker listens on it
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        holder = socket.socket(family, socket.SOCK_STREAM)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind((self._host, self._port))
        self._bound_port = holder.getsockname()[1]
        try:
            ready = []
            for index in range(self._workers):
                records, ready_file = self._dir / f"sink-{index}.jsonl", self._dir / f"sink-{index}.ready"
                records.write_text("")
                ready_file.unlink(missing_ok=True)
                log = (self._dir / f"sink-{index}.log").open("ab")
                self._processes.append(subprocess.Popen(
                    [sys.executable, "-m", "loadtests.sink_pool", "--host", self._host, "--port",
                     str(self._bound_port), "--ca-dir", str(self._ca_dir), "--records", str(records),
                     "--ready", str(ready_file)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
                log.close()
                self._files.append(records)
                self._offsets.append(0)
                ready.append(ready_file)
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not all(path.exists() for path in ready):
                failed = [i for i, p in enumerate(self._processes) if p.poll() is not None]
                if failed or time.monotonic() > deadline:
                    self.stop()
                    log_file = self._dir / f"sink-{failed[0] if failed else 0}.log"
                    raise RuntimeError(f"sink worker {failed[0] if failed else '?'} did not start: "
                                       f"{log_file.read_text(errors='replace')[-2000:]}")
                time.sleep(0.05)
        finally:
            holder.close()
        return self

    @property
    def url(self) -> str:
        if self._public_url:
            return self._public_url.rstrip("/")
        host = "127.0.0.1" if self._host in ("0.0.0.0", "::", "") else self._host
        return f"https://{host}:{self._bound_port}"

    def _read_new(self) -> None:
        """Append the complete lines the workers wrote since the last read, keeping the records in arrival order."""
        fresh: list[SinkRecord] = []
        for index, path in enumerate(self._files):
            with path.open("rb") as handle:
                handle.seek(self._offsets[index])
                chunk = handle.read()
            end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next read
            for line in chunk[:end].splitlines():
                if line.strip():
                    fresh.append(SinkRecord.from_json(json.loads(line)))
            self._offsets[index] += end
        if fresh:
            merged = sorted([*self._records, *fresh], key=lambda r: (r.arrived, r.answered))
            self._records = [SinkRecord(seq, r.path, r.headers, r.body, r.arrived, r.answered, r.status)
                             for seq, r in enumerate(merged)]

    def records(self) -> list[SinkRecord]:
        with self._lock:
            self._read_new()
            return list(self._records)

    def count(self) -> int:
        return len(self.records())

    def write_jsonl(self, path: Path) -> None:
        with Path(path).open("w", encoding="utf-8") as handle:
            for record in self.records():
                handle.write(json.dumps(record.as_json()) + "\n")

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def make_sink(ca_dir: Path, workers: int, out_dir: Path, host: str = "127.0.0.1", port: int = 0,
              public_url: str | None = None) -> Sink | SinkPool:
    """One sink in this process (``workers`` 1), or a pool of processes sharing the port."""
    if workers <= 1:
        return Sink(ca_dir, host=host, port=port, public_url=public_url)
    return SinkPool(ca_dir, workers, out_dir, host=host, port=port, public_url=public_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.sink_pool", description="one worker of a sink pool")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca-dir", type=Path, required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    args = parser.parse_args(argv)
    sink = Sink(args.ca_dir, host=args.host, port=args.port, shared_port=True, record_file=args.records).start()
    args.ready.write_text(str(os.getpid()))
    parent = os.getppid()
    stop = threading.Event()

    import signal

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        if os.getppid() != parent:  # the run that started this worker is gone
            break
    sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
