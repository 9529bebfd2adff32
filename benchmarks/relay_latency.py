"""Issue 5b: relay latency, Meta webhook in -> customer webhook out, at a fixed inbound rate.

The simulator emits inbound WhatsApp texts (``POST /_sim/worlds/{id}/inbound``: the signed Meta webhook
goes to the reference's ``/meta/webhook`` before the control call answers) on an absolute grid of
``--rate`` per second, open loop (emits do not wait for each other). The customer endpoint is the kit's
HTTPS ``suites.sink.Sink`` in this process (kit CA given to the reference as ``--webhook-ca-file``); it
records each arrival's monotonic time. Latency = arrival at the sink - start of the emit call (one clock,
one process); the emit call itself (simulator -> reference accepted) is reported too.

Placement: reference on CPU 0, simulator on CPU 1; the emitter (a child process) and the sink (this process)
unpinned. The emitter runs in its own process so that it does not share this process's interpreter lock with
the sink's server thread: in one process, each took the lock from the other for up to the switch interval (5 ms)
at a time, which showed as relay latency. Both use ``time.monotonic`` (CLOCK_MONOTONIC, one clock for every
process of the host). The CPU time each process spent per message is printed too (what limits the rate).

    python -m benchmarks.relay_latency --rate 20 --duration 30
    python -m benchmarks.relay_latency --rate 5 --duration 2        # dry run
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

from benchmarks._common import cpu_seconds, fmt_load, load_average, percentile, print_machine, save_json
from benchmarks._pair import provision_whatsapp_channel, start_pinned_pair


EMITTERS = 32


def cpu(value: str) -> str | None:
    return None if value == "none" else value


async def emit_all(sim_url: str, world_id: str, asset_id: str, rate: float, duration: float, run: str) -> list[dict]:
    n = int(rate * duration)
    records: list[dict] = []
    # At most EMITTERS emit calls in flight (a call that waits for a free emitter shows as start lag, not as relay
    # latency). aiohttp, not httpx: httpx's client cost ~5 ms of CPU per emit call here (issue 17), so the emitter
    # competed with the reference and the simulator for the two cores.
    slots = asyncio.Semaphore(EMITTERS)
    connector = aiohttp.TCPConnector(limit=EMITTERS)
    async with aiohttp.ClientSession(sim_url, connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def one(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            async with slots:
                await emit(i, at)

        async def emit(i: int, at: float) -> None:
            token = f"{run}-{i}"
            started = time.monotonic()
            rec = {"i": i, "token": token, "emit": started, "planned": at}
            try:
                async with http.post(f"/_sim/worlds/{world_id}/inbound",
                                     json={"asset_id": asset_id, "from": f"1555{i % 1000:07d}", "type": "text",
                                           "text": f"bench {token}"}) as r:
                    answer = await r.json() if r.status == 200 else {}
                rec["answered"] = time.monotonic()
                rec["meta_status"] = answer.get("delivery", {}).get("status") if r.status == 200 else None
                rec["status"] = r.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                rec["error"] = repr(exc)
            records.append(rec)

        t0 = time.monotonic() + 0.2
        await asyncio.gather(*(one(i, t0 + i / rate) for i in range(n)))
    return records


def _emitter_process(sim_url: str, world_id: str, asset_id: str, rate: float, duration: float, run: str,
                     conn: object) -> None:
    """The emitter's process: emit, then send the records (and this process's CPU seconds) back."""
    records = asyncio.run(emit_all(sim_url, world_id, asset_id, rate, duration, run))
    times = os.times()
    conn.send((records, times.user + times.system))  # type: ignore[attr-defined]
    conn.close()  # type: ignore[attr-defined]


def emit_in_child(sim_url: str, world_id: str, asset_id: str, rate: float, duration: float,
                  run: str) -> tuple[list[dict], float]:
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_emitter_process, args=(sim_url, world_id, asset_id, rate, duration, run, sender))
    child.start()
    sender.close()
    try:
        records, cpu = receiver.recv()
    finally:
        child.join(timeout=30)
    return records, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="inbound messages per second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait for late deliveries")
    parser.add_argument("--ref-cpu", type=cpu, default="0")
    parser.add_argument("--sim-cpu", type=cpu, default="1")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from suites.sink import Sink

    info = print_machine()
    work = Path(tempfile.mkdtemp(prefix="fiwano-bench-relay-"))
    sink = Sink(work / "ca").start()
    pair = start_pinned_pair(work / "pair", args.ref_cpu, args.sim_cpu, webhook_ca_file=sink.ca_file)
    results: dict = {"machine": info, "args": vars(args) | {"out": str(args.out)}}
    try:
        channel = provision_whatsapp_channel(pair)
        endpoint = sink.endpoint()
        r = httpx.patch(f"{pair.ref_url}/api/v1/channels/{channel.channel_id}", headers={"X-API-Key": channel.api_key},
                        json={"webhook_url": endpoint.url, "webhook_events": ["message.received"]}, timeout=30)
        r.raise_for_status()
        run = f"r{int(time.time())}"
        load0 = load_average()
        pids = {"reference": pair.reference.process.pid, "simulator": pair.simulator.process.pid}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        own0 = os.times()
        records, emitter_cpu = emit_in_child(pair.sim_url, channel.world_id, channel.asset_id, args.rate,
                                             args.duration, run)
        deadline = time.monotonic() + args.settle
        while time.monotonic() < deadline and len(endpoint.requests) < len(records):
            time.sleep(0.2)
        own1 = os.times()
        cpu_used = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
        cpu_used["emitter"] = emitter_cpu
        cpu_used["sink (this process)"] = own1.user + own1.system - own0.user - own0.system
        arrivals: dict[str, float] = {}
        for req in endpoint.requests:
            text = req.body.decode("utf-8", "replace")
            marker = text.find(f"bench {run}-")
            if marker >= 0:
                token = text[marker + 6:].split('"', 1)[0]
                arrivals.setdefault(token, req.received_monotonic)
        lat, emit_ms, lag = [], [], []
        for rec in records:
            lag.append((rec["emit"] - rec["planned"]) * 1000)
            if "answered" in rec:
                emit_ms.append((rec["answered"] - rec["emit"]) * 1000)
            if rec["token"] in arrivals:
                lat.append((arrivals[rec["token"]] - rec["emit"]) * 1000)
        accepted = sum(1 for rec in records if rec.get("meta_status") == 200)
        summary = {
            "emitted": len(records), "accepted_by_reference": accepted, "relayed": len(lat),
            "offered_rate": args.rate, "achieved_emit_rate": len(records) / args.duration,
            "relay_p50_ms": percentile(lat, 50), "relay_p90_ms": percentile(lat, 90),
            "relay_p99_ms": percentile(lat, 99), "relay_max_ms": max(lat) if lat else None,
            "emit_p50_ms": percentile(emit_ms, 50), "emit_p99_ms": percentile(emit_ms, 99),
            "emit_start_lag_p99_ms": percentile(lag, 99), "load_before": load0, "load_after": load_average(),
            "cpu_seconds": cpu_used,
        }
        results["summary"] = summary
        print(f"inbound {args.rate:g}/s for {args.duration:g} s: emitted {len(records)}, accepted by the reference "
              f"{accepted}, relayed to the sink {len(lat)}")
        print(f"relay latency (emit start -> sink arrival): p50 {summary['relay_p50_ms']:.1f} ms, "
              f"p90 {summary['relay_p90_ms']:.1f} ms, p99 {summary['relay_p99_ms']:.1f} ms, max {summary['relay_max_ms']:.1f} ms"
              if lat else "relay latency: nothing arrived")
        print(f"emit call (simulator -> reference /meta/webhook answered): p50 {summary['emit_p50_ms']:.1f} ms, "
              f"p99 {summary['emit_p99_ms']:.1f} ms; emitter start lag p99 {summary['emit_start_lag_p99_ms']:.1f} ms")
        per = max(1, len(records))
        print("CPU per message: " + ", ".join(f"{name} {1000 * secs / per:.2f} ms" for name, secs in cpu_used.items())
              + f" (of {len(records)}; the run took {args.duration + args.settle:g} s at most)")
        print(f"# load average before {fmt_load(load0)}, after {fmt_load(load_average())}")
        save_json(args.out, results)
    finally:
        pair.stop()
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
