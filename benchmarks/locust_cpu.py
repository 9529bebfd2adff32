"""Issue 17: the load-test side's CPU per API request, in process and independent of the target's load.

Every µs Locust spends per request on the embedded pair's two cores is taken from the reference. This drives the
kit's real users (``loadtests.users.SendUser`` / ``ReadUser``, with the steady profile's mix, pacing, ledger and
Locust's statistics through a local runner) against a canned HTTP/1.1 server in a child process (the server's
CPU is not counted), and prints this process's CPU time per request (user + system from ``os.times``, and the
system part; min and median of ``--repeats`` rounds) for three loops, alternated round by round:

- ``fasthttp``: the same requests through Locust's ``FastHttpSession`` alone (what ``FastHttpUser`` gives each
  user; the kit's users used it until issue 17), with Locust's statistics, without the kit's bookkeeping;
- ``kit``: what a keyed user does per slot (``act()`` then ``wait_time()``): operation choice, token, body, the
  request (``loadtests.api_client``), Locust's statistics, the send's detail, the ledger row, the pacer;
- ``stub``: the kit's bookkeeping alone, with the HTTP client replaced by a canned answer (no socket, no
  Locust statistics): deterministic enough for valgrind (instructions per request, as in
  ``benchmarks/simulator_cpu.py``: run with ``--modes stub --requests 0`` and ``--requests N``, subtract).

CPU time on a shared VM also counts time the host took the vCPU away: compare figures of one sitting only.

    python -m benchmarks.locust_cpu
    python -m benchmarks.locust_cpu --modes stub --requests 20000 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SERVER = r'''
import asyncio, sys
SEND = b'{"success":true,"message_id":"msg_0123456789abcdef","status":"sent","channel_id":"ch_1"}'
READ = b'{"channels":[' + b','.join(b'{"id":"ch_%d","type":"whatsapp","name":"bench","status":"connected"}' % i
                                    for i in range(3)) + b']}'
class Canned(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, length = self.buffer[:end], 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            body = SEND if head.startswith(b"POST") else READ
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                                 % len(body) + body)
async def main():
    server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
'''

STEADY_MIX = {"send_text": 0.6, "send_media": 0.1, "send_template": 0.1, "read_channels": 0.1,
              "read_templates": 0.1}


class _StubResponse:
    """What ``client.request(..., catch_response=True)`` yields, without a socket or Locust's statistics."""

    status_code = 200
    content = b'{"success":true,"message_id":"msg_0123456789abcdef","status":"sent","channel_id":"ch_1"}'
    headers = {"content-type": "application/json"}
    text = content.decode()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def json(self):
        import json

        return json.loads(self.content)

    def success(self):
        pass

    def failure(self, exc):
        pass


class _StubClient:
    """Stands in for FastHttpUser's client (the kit before issue 17's client change; for A/B runs of old trees)."""

    def request(self, *args, **kwargs):
        return _StubResponse()


class _StubApi:
    """Stands in for ``loadtests.api_client.ApiClient``: a canned answer, no socket."""

    def request(self, method, path, body=None):
        return 200, _StubResponse.content

    def close(self):
        pass


def _users(host: str, keys: int, stub: bool):
    from locust.env import Environment

    from loadtests import runtime
    from loadtests.coordination import Link
    from loadtests.keyclaims import Coordinator
    from loadtests.keyring import ChannelSpec, KeySpec, Keyring
    from loadtests.users import ReadUser, SendUser

    keyring = Keyring(run_id="bench", keys=[
        KeySpec(index=i, api_key=f"fw_live_bench{i:08d}", channels=[
            ChannelSpec(channel_id=f"ch_{i}_{t}", channel_type=t, recipient=f"1555{i:07d}", world_id="w", asset_id="a")
            for t in ("whatsapp", "instagram", "facebook")]) for i in range(keys)])
    settings = {"run_id": "20261207T000000-abcdef", "interval": 1e-9, "spread": keys, "mix": STEADY_MIX,
                "template": {"name": "fiwano_load", "language": "en_US"}}
    environment = Environment(user_classes=[SendUser, ReadUser], host=host)
    environment.create_local_runner()
    coordinator = Coordinator(keyring, settings)
    runtime.set_link(Link(environment, coordinator))
    users = []
    SendUser.host = ReadUser.host = host   # what Locust's runner does with --host before spawning
    for i in range(keys):   # the steady mix: 80 % send keys, 20 % read keys
        user = (ReadUser if i % 5 == 4 else SendUser)(environment)
        user.on_start()
        if stub and hasattr(user, "api"):
            user.api.close()
            user.api = _StubApi()
        elif stub:
            user.client = _StubClient()
        users.append(user)
    return environment, coordinator, users


def _fasthttp_sessions(users):
    """One FastHttpSession per user (what FastHttpUser gives each user), for the ``fasthttp`` loop."""
    from locust.contrib.fasthttp import FastHttpSession

    return {id(u): FastHttpSession(u.host, u.environment.events.request, u, network_timeout=30.0,
                                   connection_timeout=10.0) for u in users}


def _fasthttp_request(user, session) -> None:
    """The same request as the kit's, with Locust's FastHttpSession alone (no ledger, no pacer)."""
    from loadtests.reconcile import token

    channel = user.key.channels[0]
    body = {"channel_id": channel.channel_id, "recipient": channel.recipient,
            "text": token("20261207T000000-abcdef", user.key.index, 0)}
    headers = {"X-API-Key": user.key.api_key}
    if user.role == "send":
        session.request("POST", "/api/v1/messages/send", json=body, headers=headers, name="send_text")
    else:
        session.request("GET", "/api/v1/channels", headers=headers, name="read_channels")


def _round(users, requests: int, mode: str, concurrency: int, sessions=None) -> tuple[float, float]:
    """CPU µs per request (user + system, and system alone) of ``requests`` requests over ``concurrency``
    greenlets."""
    import gevent

    per = max(1, requests // concurrency)

    def loop(offset: int) -> None:
        for n in range(per):
            user = users[(offset + n * concurrency) % len(users)]
            if mode == "fasthttp":
                _fasthttp_request(user, sessions[id(user)])
            else:
                user.act()
                gevent.sleep(user.wait_time())

    start = os.times()
    gevent.joinall([gevent.spawn(loop, g) for g in range(concurrency)])
    end, count = os.times(), max(1, per * concurrency)
    return ((end.user + end.system - start.user - start.system) / count * 1e6,
            (end.system - start.system) / count * 1e6)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.locust_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="fasthttp,kit,stub", help="comma-separated: fasthttp, kit, stub")
    parser.add_argument("--requests", type=int, default=5000, help="requests per round and mode")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per mode (alternated)")
    parser.add_argument("--keys", type=int, default=200, help="keyed users (one API key each)")
    parser.add_argument("--concurrency", type=int, default=20, help="greenlets making requests at once")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    import locust

    from benchmarks._common import fmt_load, load_average

    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, nproc {os.cpu_count()}, Python "
          f"{sys.version.split()[0]}, locust {locust.__version__}, load average {fmt_load(load_average())}")
    server, sessions = None, None
    try:
        if any(m != "stub" for m in modes):
            server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE)
            port = int(server.stdout.readline())
            real = _users(f"http://127.0.0.1:{port}", args.keys, stub=False)
            sessions = _fasthttp_sessions(real[2]) if "fasthttp" in modes else None
        if "stub" in modes:
            stubbed = _users("http://127.0.0.1:9", args.keys, stub=True)
        results: dict[str, list[float]] = {m: [] for m in modes}
        system: dict[str, list[float]] = {m: [] for m in modes}
        if args.requests > 0:
            for mode in modes:   # warm-up: connections, caches
                _round((stubbed if mode == "stub" else real)[2], min(args.requests, 500), mode, args.concurrency,
                       sessions)
            for _ in range(args.repeats):
                for mode in modes:
                    cpu, sys_cpu = _round((stubbed if mode == "stub" else real)[2], args.requests, mode,
                                          args.concurrency, sessions)
                    results[mode].append(cpu)
                    system[mode].append(sys_cpu)
        for mode in modes:
            if results[mode]:
                print(f"{mode:7s} CPU per request: min {min(results[mode]):7.1f} µs, median "
                      f"{statistics.median(results[mode]):7.1f} µs (system {statistics.median(system[mode]):5.1f})  ({args.repeats} x {args.requests} requests, "
                      f"{args.concurrency} greenlets, {args.keys} keys)")
        if results.get("kit") and results.get("fasthttp"):
            print(f"kit - fasthttp: {min(results['kit']) - min(results['fasthttp']):+.1f} µs per request (min - min)")
        if "stub" in modes:
            rows = stubbed[1].ledger.row_count()
            print(f"# ledger rows recorded by the stub loop: {rows}")
    finally:
        if server is not None:
            server.kill()
            server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
