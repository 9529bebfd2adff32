"""Issue 5a: the highest send rate the reference sustains with the simulator on the same machine.

``POST /api/v1/messages/send`` (text, WhatsApp) through many API keys: wrk rotates the ``X-API-Key``
header round robin over fresh keys (minted through the harness for every run), so no key comes near its
100 requests/minute and a 429 would show up as an error. Each send makes the reference call the simulator
synchronously (``POST /v21.0/{phone_number_id}/messages``) and write SQLite.

Placement on a 2-core box: reference on CPU 0, simulator and wrk on CPU 1 (``--ref-cpu``, ``--sim-cpu``,
``--wrk-cpu``; ``none`` = unpinned). wrk runs closed-loop at several connection counts; the result is the
highest req/s among runs with < 1 % errors, with its p50/p99.

    python -m benchmarks.reference_send                                  # -c 4,16,32,64 x 10 s
    python -m benchmarks.reference_send --connections 8 --duration 1     # dry run
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import httpx

from benchmarks._common import (cpu_seconds, fmt_load, fmt_run, load_average, print_machine, profile_under_load, run_wrk,
                                save_json, wait_for_quiet, write_lua)
from benchmarks._pair import mint_keys, provision_whatsapp_channel, start_pinned_pair


def cpu(value: str) -> str | None:
    return None if value == "none" else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", default="4,16,32,64", help="comma-separated wrk -c values, one run each")
    parser.add_argument("--repeat", type=int, default=1, help="runs per connection count")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--ref-cpu", type=cpu, default="0")
    parser.add_argument("--sim-cpu", type=cpu, default="1")
    parser.add_argument("--wrk-cpu", type=cpu, default="1")
    parser.add_argument("--expected-max-rps", type=float, default=600.0,
                        help="keys per run are sized for this rate (and raised after a faster run)")
    parser.add_argument("--max-load", type=float, default=1.0)
    parser.add_argument("--max-wait", type=float, default=0.0)
    parser.add_argument("--profile-seconds", type=float, default=0.0,
                        help="after the runs, py-spy the reference under load (-c of the best run)")
    parser.add_argument("--profile-connections", type=int, help="wrk -c while profiling (default: the best run's)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    info = print_machine()
    work = Path(tempfile.mkdtemp(prefix="fiwano-bench-ref-"))
    pair = start_pinned_pair(work, args.ref_cpu, args.sim_cpu)
    results: dict = {"machine": info, "args": vars(args) | {"out": str(args.out)}, "runs": []}
    try:
        channel = provision_whatsapp_channel(pair)
        body = json.dumps({"channel_id": channel.channel_id, "recipient": "15551234567",
                           "text": "Hello from the Fiwano benchmark"}, separators=(",", ":"))
        probe = httpx.post(pair.ref_url + "/api/v1/messages/send", content=body,
                           headers={"X-API-Key": channel.api_key, "Content-Type": "application/json"}, timeout=30)
        print(f"# reference answers {probe.status_code}: {probe.text[:200]}")
        expected = args.expected_max_rps
        for c in [int(x) for x in args.connections.split(",")]:
            for _ in range(args.repeat):
                # each key may take 100 requests in any 60 s; give each at most ~60 in this run
                n_keys = max(50, math.ceil(expected * 1.5 * args.duration / 60))
                keys = mint_keys(pair.ref_url, channel.account_id, n_keys)
                lua = write_lua(body, {"Content-Type": "application/json"}, rotating_header=("X-API-Key", keys))
                load = wait_for_quiet(args.max_load, args.max_wait) if args.max_wait else load_average()
                pids = {"reference": pair.reference.process.pid, "simulator": pair.simulator.process.pid}
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                r = run_wrk(pair.ref_url + "/api/v1/messages/send", lua, args.duration, c, cpu=args.wrk_cpu,
                            timeout=30)
                r.update(connections=c, keys=n_keys, per_key_max=math.ceil(r["requests"] / n_keys),
                         load_before=load)
                for name, pid in pids.items():
                    r[f"{name}_cpu_us_per_request"] = 1e6 * (cpu_seconds(pid) - before[name]) / max(1, r["requests"])
                results["runs"].append(r)
                print(fmt_run(f"-c{c}", r) + f"  keys {n_keys} (<= {r['per_key_max']} req each)"
                      f"  (load before {fmt_load(load)})"
                      f"  CPU/request: reference {r['reference_cpu_us_per_request']:.0f} us,"
                      f" simulator {r['simulator_cpu_us_per_request']:.0f} us", flush=True)
                expected = max(expected, r["rps"])
        ok = [r for r in results["runs"] if r["error_ratio"] < 0.01]
        if ok:
            best = max(ok, key=lambda r: r["rps"])
            results["best"] = best
            print(f"\nhighest rate with < 1 % errors: {best['rps']:.0f} req/s at -c{best['connections']}, "
                  f"p50 {best['p50_ms']:.1f} ms, p99 {best['p99_ms']:.1f} ms, errors {100 * best['error_ratio']:.2f} %")
        else:
            print("\nno run had < 1 % errors")
        with httpx.Client(timeout=30) as http:
            journal = http.get(f"{pair.sim_url}/_sim/worlds/{channel.world_id}/journal",
                               params={"method": "POST", "path_contains": "/messages"}).json()["entries"]
        print(f"# simulator journal: {len(journal)} sends reached Meta")
        print(f"# load average at the end {fmt_load(load_average())}")
        if args.profile_seconds:
            c = args.profile_connections or results.get("best", {}).get("connections", 32)
            keys = mint_keys(pair.ref_url, channel.account_id, max(50, math.ceil(expected * 1.5 * args.profile_seconds / 60)))
            lua = write_lua(body, {"Content-Type": "application/json"}, rotating_header=("X-API-Key", keys))
            profile_under_load(pair.reference.process.pid, pair.ref_url + "/api/v1/messages/send", lua,
                               args.profile_seconds, c, args.wrk_cpu, work / "pyspy.txt", wrk_timeout=30)
        save_json(args.out, results)
    finally:
        pair.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
