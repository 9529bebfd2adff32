"""Issue 8: CPU time of the reference per request, in process, independent of the machine's load.

The reference app is built in this process (``reference.app.create_app``) and called through raw ASGI
(no HTTP server, no client library in between), one request at a time, against a real simulator started as
a subprocess. The figure is this process's CPU time (user + system) per request over ``--requests``
requests, so waiting for the simulator and other processes on the machine are not counted; what remains is
what the reference itself spends (less uvicorn's HTTP parsing, ~20-40 us). ``--profile`` adds a cProfile of
the same loop (cumulative and own time of the top functions).

The operations are the steady load profile's (loadtests/profiles/steady.yaml): text, media (image by link, with a
caption) and template sends, the channel list and the template list (``?sync=false``). ``--requests`` sets the
text sends; each other operation runs a third as many.

    python -m benchmarks.reference_cpu                      # 3 000 text sends, 1 000 of each other operation
    python -m benchmarks.reference_cpu --profile --requests 2000
    python -m benchmarks.reference_cpu --profile --profile-op template   # profile the template sends instead
    python -m benchmarks.reference_cpu --gc-defaults        # without the server's garbage-collector tuning
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import print_machine


class Asgi:
    """Call an ASGI app directly: one request, whole body in, (status, headers, body) out."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, method: str, path: str, body: bytes = b"",
                       headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        raw_path, _, query = path.partition("?")
        hdrs = [(b"host", b"bench"), (b"content-length", str(len(body)).encode())]
        if body:
            hdrs.append((b"content-type", b"application/json"))
        hdrs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": hdrs, "client": ("127.0.0.1", 1234), "server": ("bench", 80),
                 "state": {}}
        sent = False
        out: dict = {"status": 0, "headers": {}, "body": []}

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)

        async def send(message):
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
                out["headers"] = {k.decode(): v.decode() for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                out["body"].append(message.get("body", b""))

        await self.app(scope, receive, send)
        return out["status"], out["headers"], b"".join(out["body"])


async def run(args) -> None:
    from fiwano_conformance.embedded import start_server
    from reference.app import create_app
    from reference.settings import ReferenceSettings
    from simulator.client import SimulatorClient

    work = Path(tempfile.mkdtemp(prefix="fiwano-bench-cpu-"))
    secret = secrets.token_hex(16)
    sim = start_server("simulator", ["simulator", "--app-secret", secret, "--verify-token", "verify"], work)
    try:
        world = SimulatorClient(sim.url).create_world(["whatsapp"], label="bench", enforce_window=False)
        asset = world.asset("whatsapp")
        settings = ReferenceSettings(db_path=str(work / "ref.sqlite3"), meta_graph_url=sim.url,
                                     meta_app_secret=secret, meta_verify_token="verify", test_mode=True,
                                     allow_webhook_hosts=["127.0.0.1", "localhost"])
        app = create_app(settings)
        if not args.gc_defaults:  # as the server process does (fiwano_conformance/serve_cmd.py)
            from reference.speedups.gc_tuning import tune_for_serving
            tune_for_serving()
        call = Asgi(app)
        async with app.router.lifespan_context(app):
            status, _, body = await call("POST", "/harness/accounts",
                                         json.dumps({"tier": "pro", "subscription_status": "active"}).encode())
            account = json.loads(body)
            status, _, body = await call(
                "POST", f"/harness/accounts/{account['account_id']}/channels",
                json.dumps({"channel_type": "whatsapp", "asset_id": asset.phone_number_id,
                            "access_token": asset.access_token, "waba_id": asset.waba_id}).encode())
            channel_id = json.loads(body)["id"]
            keys = []
            total = 50 + args.requests + 4 * (args.requests // 3) + (min(args.requests, 2000) if args.profile else 0) \
                + 10
            for _ in range(total // 80 + 1):
                _, _, body = await call("POST", f"/harness/accounts/{account['account_id']}/keys")
                keys.append(json.loads(body)["api_key"])

            counter = iter(range(10**9))

            def next_key() -> str:  # each key used at most 80 times: never near 100 per minute
                return keys[next(counter) // 80]

            def send_body(i: int) -> bytes:
                return json.dumps({"channel_id": channel_id, "recipient": "15551234567",
                                   "text": f"fiwano-load bench k1 s{i}"}).encode()

            # the load profile's template, created through the API, approved at Meta, then synced once
            template = {"name": "fiwano_bench", "category": "UTILITY", "language": "en_US",
                        "parameter_format": "positional",
                        "components": [{"type": "BODY", "text": "Fiwano load test message {{1}}",
                                        "example": {"body_text": [["fiwano-load run k0 s0"]]}}]}
            status, _, body = await call("POST", f"/api/v1/channels/{channel_id}/templates",
                                         json.dumps(template).encode(), {"X-API-Key": keys[-1]})
            assert status < 300, (status, body)
            sim_client = SimulatorClient(sim.url)
            for item in sim_client.templates(world.world_id):
                if item.get("name") == "fiwano_bench":
                    sim_client.review_template(world.world_id, item["id"], "APPROVED", notify=False)
            status, _, body = await call("GET", f"/api/v1/channels/{channel_id}/templates?sync=true", b"",
                                         {"X-API-Key": keys[-1]})
            assert status == 200 and b"APPROVED" in body, (status, body)

            # warm-up (connections, caches)
            for i in range(50):
                status, _, body = await call("POST", "/api/v1/messages/send", send_body(i),
                                             {"X-API-Key": next_key()})
                assert status == 200, (status, body)

            async def sends(n: int) -> None:
                for i in range(n):
                    status, _, body = await call("POST", "/api/v1/messages/send", send_body(i),
                                                 {"X-API-Key": next_key()})
                    if status != 200:
                        raise RuntimeError(f"send answered {status}: {body[:200]!r}")

            async def media_sends(n: int) -> None:
                for i in range(n):
                    body = json.dumps({"channel_id": channel_id, "recipient": "15551234567", "media_type": "image",
                                       "media_url": f"https://media.fiwano-load.example/fiwano-load/b/k1/s{i}.jpg",
                                       "caption": f"fiwano-load bench k1 s{i}"}).encode()
                    status, _, answer = await call("POST", "/api/v1/messages/send-media", body,
                                                   {"X-API-Key": next_key()})
                    if status != 200:
                        raise RuntimeError(f"media send answered {status}: {answer[:200]!r}")

            async def template_sends(n: int) -> None:
                for i in range(n):
                    body = json.dumps({"channel_id": channel_id, "recipient": "15551234567",
                                       "template_name": "fiwano_bench", "language": "en_US",
                                       "variables": {"body": [f"fiwano-load bench k1 s{i}"]}}).encode()
                    status, _, answer = await call("POST", "/api/v1/messages/send-template", body,
                                                   {"X-API-Key": next_key()})
                    if status != 200:
                        raise RuntimeError(f"template send answered {status}: {answer[:200]!r}")

            async def template_lists(n: int) -> None:
                for _ in range(n):
                    status, _, answer = await call("GET", f"/api/v1/channels/{channel_id}/templates?sync=false",
                                                   b"", {"X-API-Key": next_key()})
                    if status != 200:
                        raise RuntimeError(f"template list answered {status}: {answer[:200]!r}")

            async def lists(n: int) -> None:
                for _ in range(n):
                    status, _, body = await call("GET", "/api/v1/channels", b"", {"X-API-Key": next_key()})
                    if status != 200:
                        raise RuntimeError(f"list answered {status}: {body[:200]!r}")

            third = args.requests // 3
            operations = {"text": ("POST /api/v1/messages/send (text, WhatsApp)", sends, args.requests),
                          "media": ("POST /api/v1/messages/send-media (image link)", media_sends, third),
                          "template": ("POST /api/v1/messages/send-template", template_sends, third),
                          "channels": ("GET /api/v1/channels", lists, third),
                          "templates": ("GET /api/v1/channels/{id}/templates?sync=false", template_lists, third)}
            for op, (name, fn, n) in operations.items():
                if args.only and op not in args.only:
                    continue
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await fn(n)
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                print(f"{name:<45} {n:>6} requests  CPU {1e6 * cpu / n:7.0f} us/request  "
                      f"(wall {1e6 * wall / n:7.0f} us/request, one at a time)", flush=True)
            if args.profile:
                prof = cProfile.Profile(time.process_time)  # CPU time, not wall
                prof.enable()
                await operations[args.profile_op][1](min(args.requests, 2000))
                prof.disable()
                buf = io.StringIO()
                stats = pstats.Stats(prof, stream=buf)
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(30)
                print(buf.getvalue())
    finally:
        sim.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-op", choices=["text", "media", "template", "channels", "templates"], default="text",
                        help="the operation --profile profiles (default: text sends)")
    parser.add_argument("--only", nargs="+", choices=["text", "media", "template", "channels", "templates"],
                        help="measure only these operations (for instruction counts: callgrind at two sizes)")
    parser.add_argument("--gc-defaults", action="store_true",
                        help="keep the interpreter's garbage-collector settings (the server tunes them: "
                             "reference/speedups/gc_tuning.py)")
    args = parser.parse_args()
    print_machine()
    try:
        import uvloop
        uvloop.run(run(args))
    except ImportError:
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
