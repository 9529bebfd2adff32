"""Issues 4 and 17: the simulator's Graph hot paths next to a raw ASGI app, in one sitting.

The five paths an implementation calls most (issue 17 item 1): WhatsApp text send, media send by link, template
send (``POST /{phone_number_id}/messages``), a Messenger profile read (``GET /{psid}``) and a media download
(``GET /whatsapp_business/attachments/?mid=...``, the URL ``GET /{media_id}`` gave). Each server runs pinned to
CPU 0 (``taskset -c 0``), wrk to CPU 1 (``taskset -c 1 wrk -t1 -c32 -d10s --latency``, a Lua script for method,
body and headers). Worlds are made through the control API (``enforce_window: false``, so no send schedules an
asynchronous failure webhook: the simulator has no target here); journaling is on.

``--servers`` chooses the server stacks compared: ``uvicorn`` (the kit's: uvloop + httptools; the simulator as
``python -m fiwano_conformance simulator`` runs it) and ``granian`` (Rust HTTP server, ASGI interface, uvloop,
one worker; a candidate, run here as ``granian --interface asgi --factory simulator.app:create_app``). For each
stack the raw ASGI app (``benchmarks/raw_asgi.py``: reads the body, answers a constant JSON) runs on the same
stack. Runs alternate raw / simulator per path; medians are printed with the ratios to raw on the same stack and
to raw on uvicorn.

    python -m benchmarks.simulator_send                          # 3 runs x 10 s per path and server
    python -m benchmarks.simulator_send --runs 1 --duration 1    # dry run
    python -m benchmarks.simulator_send --paths text --servers uvicorn,granian
    python -m benchmarks.simulator_send --profile-seconds 10     # also py-spy the simulator under load
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks._common import (PYTHON, chosen_names, fmt_load, fmt_run, load_average, medians, pinned_launcher,
                                print_machine, profile_under_load, run_wrk, save_json, start_process, stop_process,
                                wait_for_quiet, wait_http, write_lua)

TEXT_BODY = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "15551234567",
             "type": "text", "text": {"preview_url": False, "body": "Hello from the Fiwano benchmark"}}
PATHS = ("text", "media_link", "template", "profile", "download")
SERVERS = ("uvicorn", "granian")
APP_SECRET = "bench-secret"
LINK = "https://cdn.fiwano-bench.example/photo.jpg"
PSID = "24000000000000001"


def _granian(target: str, port: int, cpu: str, log: Path, factory: bool = False,
             env: dict[str, str] | None = None) -> Any:
    exe = shutil.which("granian") or str(Path(PYTHON).with_name("granian"))
    cmd = ["taskset", "-c", cpu, exe, "--interface", "asgi", "--loop", "uvloop", "--workers", "1",
           "--runtime-threads", "1", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if factory:
        cmd.append("--factory")
    return start_process([*cmd, target], log, env=env)


def _setup(sim_url: str) -> dict[str, tuple[str, str, str | None, dict[str, str]]]:
    """One world per run of the script; returns path name -> (method, path, body, headers)."""
    from simulator.client import SimulatorClient

    client = SimulatorClient(sim_url)
    world = client.create_world(["whatsapp", "facebook"], label="bench", enforce_window=False)
    wa, fb = world.asset("whatsapp"), world.asset("facebook")
    wa_auth = {"Authorization": f"Bearer {wa.access_token}"}
    json_headers = {"Content-Type": "application/json", **wa_auth}
    send_path = f"/v21.0/{wa.phone_number_id}/messages"
    with httpx.Client(base_url=sim_url, timeout=30) as http:
        client.register_link(world.world_id, LINK, fetchable=True, content_type="image/jpeg", size=20_000)
        created = http.post(f"/v21.0/{wa.waba_id}/message_templates", headers=wa_auth, json={
            "name": "bench_hello", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hello from the Fiwano benchmark"}]})
        created.raise_for_status()
        client.review_template(world.world_id, created.json()["id"], "APPROVED", notify=False)
        client.set_profile(world.world_id, PSID, fb.asset_id, name="Bench User", first_name="Bench",
                           last_name="User")
        media = client.register_media(world.world_id, wa.asset_id, b"\xff\xd8\xff" + b"x" * 2048, "image/jpeg")
        info = http.get(f"/v21.0/{media['media_id']}", headers=wa_auth)
        info.raise_for_status()
    download = httpx.URL(info.json()["url"])
    bodies = {
        "text": TEXT_BODY,
        "media_link": {"messaging_product": "whatsapp", "to": "15551234567", "type": "image",
                       "image": {"link": LINK, "caption": "bench"}},
        "template": {"messaging_product": "whatsapp", "to": "15551234567", "type": "template",
                     "template": {"name": "bench_hello", "language": {"code": "en_US"}}},
    }
    out: dict[str, tuple[str, str, str | None, dict[str, str]]] = {
        name: ("POST", send_path, json.dumps(body, separators=(",", ":")), json_headers)
        for name, body in bodies.items()}
    out["profile"] = ("GET", f"/v21.0/{PSID}?fields=first_name,last_name,profile_pic", None,
                      {"Authorization": f"Bearer {fb.access_token}"})
    out["download"] = ("GET", download.raw_path.decode("ascii"), None, wa_auth)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unrecorded load per server first")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of {', '.join(PATHS)}")
    parser.add_argument("--servers", default="uvicorn", help=f"comma-separated, of {', '.join(SERVERS)}")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--wrk-cpu", default="1")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load average below this")
    parser.add_argument("--max-wait", type=float, default=0.0, help="seconds to wait for a quiet machine")
    parser.add_argument("--profile-seconds", type=float, default=0.0,
                        help="after the runs, record py-spy top-of-stack for this long under load")
    parser.add_argument("--out", type=Path, help="write all runs as JSON here")
    args = parser.parse_args()
    paths = chosen_names(parser, args.paths, PATHS)
    servers = chosen_names(parser, args.servers, SERVERS, "server")

    from fiwano_conformance.embedded import start_server

    info = print_machine()
    work = Path(tempfile.mkdtemp(prefix="fiwano-bench-sim-"))
    results: dict[str, Any] = {"machine": info, "args": vars(args) | {"out": str(args.out)}, "runs": [],
                               "medians": {}}
    procs: list[Any] = []
    sims: list[Any] = []
    try:
        targets: dict[str, dict[str, str]] = {}   # server -> {"raw": url, "simulator": url}
        for index, server in enumerate(servers):
            raw_port, sim_port = 18_431 + 2 * index, 18_432 + 2 * index
            if server == "uvicorn":
                procs.append(start_process(
                    ["taskset", "-c", args.server_cpu, PYTHON, "-m", "uvicorn", "benchmarks.raw_asgi:app",
                     "--host", "127.0.0.1", "--port", str(raw_port), "--loop", "uvloop", "--http", "httptools",
                     "--no-access-log", "--log-level", "warning"], work / "raw-uvicorn.log"))
                (work / "uvicorn").mkdir(exist_ok=True)
                sim = start_server("simulator", ["simulator", "--app-secret", APP_SECRET, "--verify-token",
                                                 "bench-verify"], work / "uvicorn",
                                   launcher=pinned_launcher(args.server_cpu))
                sims.append(sim)
                sim_url = sim.url
            else:
                procs.append(_granian("benchmarks.raw_asgi:app", raw_port, args.server_cpu, work / "raw-granian.log"))
                env = {**os.environ, "FIWANO_SIM_APP_SECRET": APP_SECRET, "FIWANO_SIM_VERIFY_TOKEN": "bench-verify"}
                procs.append(_granian("simulator.app:create_app", sim_port, args.server_cpu,
                                      work / "sim-granian.log", factory=True, env=env))
                sim_url = f"http://127.0.0.1:{sim_port}"
            raw_url = f"http://127.0.0.1:{raw_port}"
            wait_http(raw_url + "/")
            wait_http(sim_url + "/_sim/health")
            targets[server] = {"raw": raw_url, "simulator": sim_url}

        runs: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for server, urls in targets.items():
            calls = _setup(urls["simulator"])
            for path_name in paths:
                method, path, body, headers = calls[path_name]
                lua = write_lua(body, headers, method=method)
                check = httpx.request(method, urls["simulator"] + path, content=body, headers=headers, timeout=30)
                print(f"# {server} {path_name}: {method} {path.split('?')[0]} -> {check.status_code} "
                      f"{check.content[:100]!r}", flush=True)
                if check.status_code != 200:
                    raise RuntimeError(f"{path_name} on {server} answered {check.status_code}: {check.text[:300]}")
                if args.warmup:
                    for kind in ("raw", "simulator"):
                        run_wrk(urls[kind] + path, lua, args.warmup, args.connections, cpu=args.wrk_cpu)
                for i in range(args.runs):
                    for kind in ("raw", "simulator"):
                        load = wait_for_quiet(args.max_load, args.max_wait) if args.max_wait else load_average()
                        r = run_wrk(urls[kind] + path, lua, args.duration, args.connections, cpu=args.wrk_cpu)
                        r["load_before"] = load
                        runs.setdefault((server, path_name, kind), []).append(r)
                        results["runs"].append({"server": server, "path": path_name, "kind": kind, "run": i + 1, **r})
                        print(fmt_run(f"{server[:4]} {path_name[:6]} {kind[:3]}", r)
                              + f"  (load before {fmt_load(load)})", flush=True)

        med = {key: medians(rs) for key, rs in runs.items()}
        results["medians"] = {"/".join(key): m for key, m in med.items()}
        print(f"\n{'server':<9}{'path':<12}{'raw req/s':>11}{'sim req/s':>11}{'x raw':>8}{'x uvicorn raw':>15}"
              f"{'sim p50 ms':>12}{'sim p99 ms':>12}")
        for server in targets:
            for path_name in paths:
                raw, simm = med[(server, path_name, "raw")], med[(server, path_name, "simulator")]
                base = med.get(("uvicorn", path_name, "raw"), raw)
                print(f"{server:<9}{path_name:<12}{raw['rps']:>11.0f}{simm['rps']:>11.0f}"
                      f"{simm['rps'] / raw['rps']:>8.3f}{simm['rps'] / base['rps']:>15.3f}"
                      f"{simm['p50_ms']:>12.2f}{simm['p99_ms']:>12.2f}")
        print("(goal >= 0.5 of raw ASGI on every path; Prism ~0.15, WireMock ~0.65 for a send)")
        print(f"# load average at the end {fmt_load(load_average())}; {time.strftime('%H:%M:%S')} local")
        if args.profile_seconds and sims and "text" in paths:
            _, path, body, headers = _setup(sims[0].url)["text"]
            profile_under_load(sims[0].process.pid, sims[0].url + path, write_lua(body, headers),
                               args.profile_seconds, args.connections, args.wrk_cpu, work / "pyspy.txt")
        save_json(args.out, results)
    finally:
        for sim in sims:
            sim.stop()
        for proc in procs:
            stop_process(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
