"""Issue 17: the simulator's own CPU per Graph request on its five hot paths, in process (no server, no socket).

The app is built with ``create_app`` and called through raw ASGI, one request at a time, with the same requests as
``benchmarks/simulator_send.py`` (one world, journaling on). What is printed is this process's CPU time per
request (the minimum and the median of ``--repeats`` rounds of ``--requests``): the simulator's Python work alone,
without uvicorn's (a raw ASGI app's whole cost on uvicorn is ~30 µs). Less sensitive to other load than a wrk
run, but still CPU time on a shared core; for a count that does not depend on the load at all, run it under
valgrind twice and subtract (instructions per request = (Ir at N requests - Ir at 0) / N):

    python -m benchmarks.simulator_cpu
    python -m benchmarks.simulator_cpu --paths text --requests 1000 --repeats 1
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m benchmarks.simulator_cpu --paths text --requests 0 --repeats 1
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python -m benchmarks.simulator_cpu --paths text --requests 1000 --repeats 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

from benchmarks._common import chosen_names
from benchmarks.simulator_send import LINK, PATHS, PSID, TEXT_BODY

HOST = "127.0.0.1:18432"


def build() -> tuple[Any, dict[str, tuple[str, str, str, dict[str, str], bytes]]]:
    """The app and, per path, (method, path, query, headers, body) of the request the wrk runs send."""
    import httpx
    from fastapi.testclient import TestClient

    from simulator.app import create_app
    from simulator.client import SimulatorClient
    from simulator.settings import SimulatorSettings

    app = create_app(SimulatorSettings(app_secret="bench-secret", verify_token="bench-verify"))
    http = TestClient(app, base_url=f"http://{HOST}")
    client = SimulatorClient(f"http://{HOST}")
    client._http = http  # the control calls in process
    world = client.create_world(["whatsapp", "facebook"], label="bench", enforce_window=False)
    wa, fb = world.asset("whatsapp"), world.asset("facebook")
    wa_auth = {"Authorization": f"Bearer {wa.access_token}"}
    client.register_link(world.world_id, LINK, fetchable=True, content_type="image/jpeg", size=20_000)
    created = http.post(f"/v21.0/{wa.waba_id}/message_templates", headers=wa_auth, json={
        "name": "bench_hello", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hello from the Fiwano benchmark"}]})
    created.raise_for_status()
    client.review_template(world.world_id, created.json()["id"], "APPROVED", notify=False)
    client.set_profile(world.world_id, PSID, fb.asset_id, name="Bench User", first_name="Bench", last_name="User")
    media = client.register_media(world.world_id, wa.asset_id, b"\xff\xd8\xff" + b"x" * 2048, "image/jpeg")
    download = httpx.URL(http.get(f"/v21.0/{media['media_id']}", headers=wa_auth).json()["url"])
    bodies = {
        "text": TEXT_BODY,
        "media_link": {"messaging_product": "whatsapp", "to": "15551234567", "type": "image",
                       "image": {"link": LINK, "caption": "bench"}},
        "template": {"messaging_product": "whatsapp", "to": "15551234567", "type": "template",
                     "template": {"name": "bench_hello", "language": {"code": "en_US"}}},
    }
    send_headers = {"Host": HOST, "Content-Type": "application/json", **wa_auth}
    calls = {name: ("POST", f"/v21.0/{wa.phone_number_id}/messages", "", send_headers,
                    json.dumps(body, separators=(",", ":")).encode()) for name, body in bodies.items()}
    calls["profile"] = ("GET", f"/v21.0/{PSID}", "fields=first_name,last_name,profile_pic",
                        {"Host": HOST, "Authorization": f"Bearer {fb.access_token}"}, b"")
    calls["download"] = ("GET", download.path, download.query.decode(), {"Host": HOST, **wa_auth}, b"")
    return app, calls


def scope_of(method: str, path: str, query: str, headers: dict[str, str]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 18432)}


async def call(app: Any, scope: dict[str, Any], body: bytes, count: int) -> int:
    """``count`` requests; returns the status of the last one."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    for _ in range(count):
        await app(dict(scope), receive, send)
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of {', '.join(PATHS)}")
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per path")
    args = parser.parse_args()
    paths = chosen_names(parser, args.paths, PATHS)
    app, calls = build()
    for name in paths:
        method, path, query, headers, body = calls[name]
        scope = scope_of(method, path, query, headers)
        status = asyncio.run(call(app, scope, body, 50))  # warm up (and check the answer)
        if status != 200:
            raise RuntimeError(f"{name} answered {status}")
        if args.requests <= 0:
            continue
        rounds = []
        for _ in range(args.repeats):
            started = time.process_time()
            asyncio.run(call(app, scope, body, args.requests))
            rounds.append((time.process_time() - started) / args.requests * 1e6)
        print(f"{name:<11} CPU per request: min {min(rounds):6.1f} µs, median {statistics.median(rounds):6.1f} µs "
              f"({args.repeats} x {args.requests})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
