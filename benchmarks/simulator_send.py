"""Issue 4: the simulator's WhatsApp send endpoint next to a raw ASGI app, in one sitting.

Both servers run pinned to CPU 0 (``taskset -c 0``), wrk to CPU 1 (``taskset -c 1 wrk -t1 -c32 -d10s
--latency``, POST with a Lua script for body and headers). The simulator is the real one
(``python -m fiwano_conformance simulator``: uvicorn with uvloop + httptools, journaling on, access log off);
a world with one WhatsApp asset is created through the control API and its token is the bearer. The world
has ``enforce_window: false`` so every text is accepted without an asynchronous 131047 failure webhook
(the simulator has no target here). Runs alternate raw / simulator; medians are printed with the ratio.

    python -m benchmarks.simulator_send                    # 3 runs x 10 s each (the measurement)
    python -m benchmarks.simulator_send --runs 1 --duration 1   # dry run
    python -m benchmarks.simulator_send --profile-seconds 10    # also py-spy the simulator under load
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._common import (PYTHON, fmt_load, profile_under_load, fmt_run, load_average, medians, pinned_launcher,
                                print_machine, run_wrk, save_json, start_process, stop_process, wait_for_quiet,
                                wait_http, write_lua)

TEXT_BODY = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "15551234567",
             "type": "text", "text": {"preview_url": False, "body": "Hello from the Fiwano benchmark"}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unrecorded load per server first")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--wrk-cpu", default="1")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load average below this")
    parser.add_argument("--max-wait", type=float, default=0.0, help="seconds to wait for a quiet machine")
    parser.add_argument("--profile-seconds", type=float, default=0.0,
                        help="after the runs, record py-spy top-of-stack for this long under load")
    parser.add_argument("--out", type=Path, help="write all runs as JSON here")
    args = parser.parse_args()

    from fiwano_conformance.embedded import start_server
    from simulator.client import SimulatorClient

    info = print_machine()
    work = Path(tempfile.mkdtemp(prefix="fiwano-bench-sim-"))
    raw_port = 18_431
    raw = start_process(["taskset", "-c", args.server_cpu, PYTHON, "-m", "uvicorn", "benchmarks.raw_asgi:app",
                         "--host", "127.0.0.1", "--port", str(raw_port), "--loop", "uvloop", "--http", "httptools",
                         "--no-access-log", "--log-level", "warning"], work / "raw.log")
    sim = start_server("simulator", ["simulator", "--app-secret", "bench-secret", "--verify-token", "bench-verify"],
                       work, launcher=pinned_launcher(args.server_cpu))
    results: dict = {"machine": info, "args": vars(args) | {"out": str(args.out)}, "runs": []}
    try:
        raw_url = f"http://127.0.0.1:{raw_port}"
        wait_http(raw_url + "/")
        client = SimulatorClient(sim.url)
        world = client.create_world(["whatsapp"], label="bench", enforce_window=False)
        asset = world.asset("whatsapp")
        body = json.dumps(TEXT_BODY, separators=(",", ":"))
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {asset.access_token}"}
        lua = write_lua(body, headers)
        path = f"/v21.0/{asset.phone_number_id}/messages"
        check = subprocess.run(["curl", "-s", "-X", "POST", "-H", f"Authorization: Bearer {asset.access_token}",
                                "-H", "Content-Type: application/json", "-d", body, sim.url + path],
                               capture_output=True, text=True).stdout
        print(f"# body {len(body)} bytes; simulator answers: {check}")
        targets = {"raw": raw_url + path, "simulator": sim.url + path}
        if args.warmup:
            for url in targets.values():
                run_wrk(url, lua, args.warmup, args.connections, cpu=args.wrk_cpu)
        runs: dict[str, list] = {"raw": [], "simulator": []}
        for i in range(args.runs):
            for name, url in targets.items():
                load = wait_for_quiet(args.max_load, args.max_wait) if args.max_wait else load_average()
                r = run_wrk(url, lua, args.duration, args.connections, cpu=args.wrk_cpu)
                r["load_before"] = load
                runs[name].append(r)
                results["runs"].append({"server": name, "run": i + 1, **r})
                print(fmt_run(f"{name} #{i + 1}", r) + f"  (load before {fmt_load(load)})", flush=True)
        med = {name: medians(rs) for name, rs in runs.items()}
        ratio = med["simulator"]["rps"] / med["raw"]["rps"]
        results["medians"] = med
        results["ratio"] = ratio
        journal = len(client.journal(world.world_id, path_contains="/messages", since_seq=None))
        print(f"# journal of the world holds {journal} entries (capped at 100 000)")
        print("\nserver      median req/s  median p99 ms  median p50 ms")
        for name, m in med.items():
            print(f"{name:<12}{m['rps']:>12.0f}{m['p99_ms']:>15.2f}{m['p50_ms']:>15.2f}")
        print(f"ratio simulator / raw = {ratio:.3f}  (goal >= 0.5; Prism ~0.15, WireMock ~0.65)")
        print(f"# load average at the end {fmt_load(load_average())}")
        if args.profile_seconds:
            profile_under_load(sim.process.pid, targets["simulator"], lua, args.profile_seconds, args.connections,
                               args.wrk_cpu, work / "pyspy.txt")
        save_json(args.out, results)
    finally:
        sim.stop()
        stop_process(raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
