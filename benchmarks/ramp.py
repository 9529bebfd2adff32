"""Issue 8: the reference's highest sustainable rate and latency percentiles from the ``ramp`` load profile.

Runs ``fiwano-conformance load --profile ramp`` (Locust, FastHttpUser, one process unless ``--workers``)
against a pair started here with the reference pinned to CPU 0 and the simulator to CPU 1; Locust is pinned
to CPU 1 too (``--locust-cpu``). ``--embedded`` instead lets the load command start its own unpinned pair.
Prints the ramp steps (keys, offered, achieved, p95, failures, sustained) from ``verdict.json`` and the
overall percentiles from Locust's ``locust_stats.csv``.

    python -m benchmarks.ramp                                  # the stock profile (up to 10 min + setup)
    python -m benchmarks.ramp --duration 40 --keys-count 100   # dry run
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import PYTHON, ROOT, fmt_load, load_average, print_machine
from benchmarks._pair import start_pinned_pair


def cpu(value: str) -> str | None:
    return None if value == "none" else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="ramp")
    parser.add_argument("--duration", type=float, help="override the profile's duration")
    parser.add_argument("--keys-count", type=int, help="override the profile's key count (caps the ramp)")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--ref-cpu", type=cpu, default="0")
    parser.add_argument("--sim-cpu", type=cpu, default="1")
    parser.add_argument("--locust-cpu", type=cpu, default="1")
    parser.add_argument("--embedded", action="store_true", help="let the load command start an unpinned pair")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from fiwano_conformance.shared.kit_ca import ca_file, ensure_ca

    print_machine()
    out = (args.out or Path(tempfile.mkdtemp(prefix="fiwano-bench-ramp-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    ca_dir = out / "ca"
    ensure_ca(ca_dir)
    command = [PYTHON, "-m", "fiwano_conformance", "load", "--profile", args.profile, "--out", str(out),
               "--sink-ca-dir", str(ca_dir)]
    if args.duration:
        command += ["--duration", str(args.duration)]
    if args.keys_count:
        command += ["--keys-count", str(args.keys_count)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    pair = None
    if not args.embedded:
        pair = start_pinned_pair(out / "pair", args.ref_cpu, args.sim_cpu, webhook_ca_file=ca_file(ca_dir))
        command += ["--target", pair.ref_url, "--simulator", pair.sim_url]
    if args.locust_cpu is not None:
        command = ["taskset", "-c", args.locust_cpu, *command]
    load0 = load_average()
    print("running:", " ".join(command), flush=True)
    started = time.time()
    try:
        code = subprocess.call(command, cwd=ROOT)
    finally:
        if pair is not None:
            pair.stop()
    print(f"# load command exited {code} after {time.time() - started:.0f} s; load before {fmt_load(load0)}, "
          f"after {fmt_load(load_average())}")
    summarise(out)
    return 0


def summarise(out: Path) -> None:
    verdict_file = out / "verdict.json"
    if not verdict_file.exists():
        print(f"no verdict in {out}")
        return
    verdict = json.loads(verdict_file.read_text())
    ramp = verdict.get("ramp") or {}
    print("\nkeys  offered/s  achieved/s  p95 ms  failures  429  sustained")
    for step in ramp.get("steps", []):
        p95 = step.get("p95_ms")
        print(f"{step['keys']:>4}  {step['offered_rps']:>9.1f}  {step['achieved_rps']:>10.1f}  "
              f"{(f'{p95:.0f}' if p95 is not None else '-'):>6}  {step['failure_ratio']:>8.4f}  "
              f"{step['rejected_429']:>3}  {step['sustained']}")
    best = ramp.get("highest_sustained")
    print("highest sustained: " + (f"{best['offered_rps']} req/s offered, {best['achieved_rps']} achieved "
                                   f"({best['keys']} keys), p95 {best['p95_ms']:.0f} ms" if best else "none"))
    stats = out / "locust_stats.csv"
    if stats.exists():
        print("\nLocust totals (whole run): name, requests, failures, p50, p95, p99 ms, req/s")
        for row in csv.DictReader(stats.open()):
            print(f"  {row['Type']} {row['Name']}: {row['Request Count']}, {row['Failure Count']}, {row['50%']}, "
                  f"{row['95%']}, {row['99%']}, {float(row['Requests/s']):.1f}")
    print(f"verdict: {verdict.get('result')} ({out / 'verdict.txt'})")


if __name__ == "__main__":
    sys.exit(main())
