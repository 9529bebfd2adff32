"""Issue 17: what each process of a load run spends per API request, measured during the run.

Runs ``fiwano-conformance load`` (the embedded pair unless ``--target`` is passed through) and, over a window of
the steady phase (from ``--skip`` seconds after every user has started, ``--window`` seconds long), reads the CPU
time of Locust's process, the reference and the simulator (psutil, user + system) and the requests Locust counted
in the same window (``locust_stats_history.csv``, the aggregated row: API requests plus the inbound emits). It
prints, per process, the share of a core and the CPU µs per request, split into user and system (kernel) time,
with the context switches per request (voluntary: the process waited, e.g. in epoll; involuntary: the kernel took
the core away), the resident memory at the window's start and end, and, for the reference, each thread's CPU per
request (the event loop, the WAL checkpointer...): instruction counts (callgrind) see none of the system time.
Then the verdict's first lines. The figure
depends on the box's load (a shared VM also bills the time the host takes the vCPU away): compare runs of one
sitting, one after the other. ``benchmarks/locust_cpu.py`` measures Locust's side in process instead.

    python -m benchmarks.load_cpu --profile steady --keys-count 300 --duration 50
    nice -n 19 python -m benchmarks.load_cpu --profile steady --keys-count 300 --duration 50 --nice
    python -m benchmarks.load_cpu --profile steady --window 200      # the full 1,000-key profile
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks._common import fmt_load, print_machine

ROLES = (("locust", "-m locust "), ("reference", "-m fiwano_conformance reference"),
         ("simulator", "-m fiwano_conformance simulator"))


def _processes(root: psutil.Process) -> dict[str, list[psutil.Process]]:
    found: dict[str, list[psutil.Process]] = {}
    for child in root.children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.Error:
            continue
        for role, marker in ROLES:
            if marker in command:
                found.setdefault(role, []).append(child)
                break
    return found


def _cpu(processes: list[psutil.Process]) -> tuple[float, float, int, int]:
    """User s, system s, voluntary and involuntary context switches of ``processes`` (all their threads)."""
    user = system = 0.0
    voluntary = involuntary = 0
    for process in processes:
        try:
            times, switches = process.cpu_times(), process.num_ctx_switches()
        except psutil.Error:
            continue
        user += times.user
        system += times.system
        voluntary += switches.voluntary
        involuntary += switches.involuntary
    return user, system, voluntary, involuntary


def _rss(processes: list[psutil.Process]) -> float:
    """Resident memory of ``processes`` in MB (a heap that grows with every request shows here)."""
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def _threads(processes: list[psutil.Process]) -> dict[str, float]:
    """CPU s (user + system) per thread (named by ``/proc/PID/task/TID/comm`` and its id; Python 3.11 does not name
    OS threads, so the main thread, which runs the event loop, is told apart by its id)."""
    found: dict[str, float] = {}
    for process in processes:
        try:
            threads = process.threads()
        except psutil.Error:
            continue
        for thread in threads:
            try:
                name = Path(f"/proc/{process.pid}/task/{thread.id}/comm").read_text(encoding="utf-8").strip()
            except OSError:
                continue
            name = "main (event loop)" if thread.id == process.pid else f"{name} {thread.id}"
            found[name] = found.get(name, 0.0) + thread.user_time + thread.system_time
    return found


def _requests(out: Path) -> int:
    with (out / "locust_stats_history.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"]
    return int(rows[-1]["Total Request Count"]) if rows else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="steady")
    parser.add_argument("--keys-count", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="the profile's duration (default: its own)")
    parser.add_argument("--skip", type=float, default=8.0, help="seconds after all users started before the window")
    parser.add_argument("--window", type=float, default=None,
                        help="seconds measured (default: duration - skip - 12, at least 5)")
    parser.add_argument("--out", type=Path, default=None, help="the load run's --out (default: a temporary dir)")
    parser.add_argument("--nice", action="store_true", help="run the load command with nice -n 19")
    parser.add_argument("load_args", nargs="*", help="more arguments for fiwano-conformance load (after --)")
    args = parser.parse_args(argv)
    print_machine()
    out = args.out or Path(tempfile.mkdtemp(prefix="load-cpu-"))
    command = [sys.executable, "-m", "fiwano_conformance", "load", "--profile", args.profile, "--quiet",
               "--out", str(out), *args.load_args]
    if args.keys_count:
        command += ["--keys-count", str(args.keys_count)]
    if args.duration:
        command += ["--duration", str(args.duration)]
    if args.nice:
        command = ["nice", "-n", "19", *command]
    print("# " + " ".join(command), flush=True)
    log_path = out / "load-cpu.log"
    out.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        run = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            while "All users spawned" not in log_path.read_text(encoding="utf-8", errors="replace"):
                if run.poll() is not None:
                    print(log_path.read_text(encoding="utf-8", errors="replace")[-3000:])
                    return 2
                time.sleep(0.5)
            time.sleep(args.skip)
            processes = _processes(psutil.Process(run.pid))
            duration = args.duration or 300.0
            window = args.window or max(5.0, duration - args.skip - 12)
            rss_before = {role: _rss(p) for role, p in processes.items()}
            before = {role: _cpu(p) for role, p in processes.items()}
            threads_before = _threads(processes.get("reference", []))
            requests_before, started = _requests(out), time.monotonic()
            time.sleep(window)
            after = {role: _cpu(p) for role, p in processes.items()}
            rss_after = {role: _rss(p) for role, p in processes.items()}
            threads_after = _threads(processes.get("reference", []))
            requests, elapsed = _requests(out) - requests_before, time.monotonic() - started
            print(f"window {elapsed:.0f} s: {requests} requests ({requests / elapsed:.0f}/s, API and inbound emits); "
                  f"load average {fmt_load(os.getloadavg())}")
            per = max(requests, 1)
            for role, _ in ROLES:
                if role in before:
                    user, system, voluntary, involuntary = (a - b for a, b in zip(after[role], before[role], strict=True))
                    spent = user + system
                    print(f"  {role:9s} {100 * spent / elapsed:5.1f} % of a core, {1e6 * spent / per:6.0f} µs CPU per "
                          f"request (user {1e6 * user / per:.0f}, system {1e6 * system / per:.0f}); context switches "
                          f"per request {voluntary / per:.2f} voluntary, {involuntary / per:.2f} involuntary; "
                          f"RSS {rss_before[role]:.0f} -> {rss_after[role]:.0f} MB")
            for name, spent in sorted(threads_after.items(), key=lambda item: -item[1]):
                used = spent - threads_before.get(name, 0.0)
                if used > 0:
                    print(f"    reference thread {name}: {1e6 * used / per:.0f} µs per request")
            code = run.wait()
        finally:
            if run.poll() is None:
                run.terminate()
                run.wait(timeout=30)
    verdict = out / "verdict.txt"
    if verdict.exists():
        print("  " + " | ".join(line.strip() for line in verdict.read_text(encoding="utf-8").splitlines()[1:3]))
    print(f"# exit {code}; results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
