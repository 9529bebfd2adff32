"""kill -9 during a burst of concurrent sends with a slow Meta (issue 18 row 3): after the restart no outbound
row may be left without a next step (``queued`` with no next attempt planned).

Each round starts a simulator and a reference on a fresh SQLite file, makes Meta slow for every send (half of
them accepted by Meta before its answer is lost, half held before Meta processes them), fires ``--sends``
concurrent ``POST /api/v1/messages/send``, kills the reference with SIGKILL once the rows are written, restarts
it on the same file and counts the rows by state. It also checks what the clients were told: every send
answered 200 as accepted before the crash reached Meta exactly once and is still ``accepted``.

    python -m benchmarks.kill9_burst --sends 500 --rounds 3

The function :func:`run_round` is what the kit's own test runs in a small form (``tests/reference/
test_kill9_burst.py``: 100 sends, one round).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from fiwano_conformance import embedded
from simulator.client import SimulatorClient

SLOW_SECONDS = 2.5  # under the embedded reference's 3 s Meta timeout: the reference waits, then is killed


@dataclass
class RoundResult:
    sends: int
    answered_before_crash: int  # answered 200 and accepted by Meta
    rows_before_restart: Counter = field(default_factory=Counter)
    rows_after_restart: Counter = field(default_factory=Counter)
    without_next_step: int = 0  # after the restart: queued with no next attempt planned
    accepted_by_meta: int = 0
    interrupted_failed: int = 0
    failed_events: int = 0  # message.failed deliveries created for the interrupted sends
    answered_lost_or_doubled: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"sends {self.sends}, answered before the kill {self.answered_before_crash}, rows at the kill "
                f"{dict(self.rows_before_restart)}, after the restart {dict(self.rows_after_restart)}; accepted by "
                f"Meta {self.accepted_by_meta}; interrupted -> failed {self.interrupted_failed} "
                f"(message.failed events {self.failed_events}); rows without a next step {self.without_next_step}; "
                f"answered sends lost or doubled {len(self.answered_lost_or_doubled)}")


def _states(db_path: Path) -> Counter:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return Counter(dict(conn.execute(
            "SELECT status, COUNT(*) FROM messages WHERE direction = 'out' GROUP BY status").fetchall()))


def _without_next_step(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'queued'"
                            " AND next_attempt_at IS NULL").fetchone()[0]


async def _burst(url: str, keys: list[str], channel_id: str, sends: int, answered: dict[str, str]) -> None:
    limits = httpx.Limits(max_connections=sends, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        async def one(i: int) -> None:
            try:
                response = await client.post("/api/v1/messages/send", headers={"X-API-Key": keys[i % len(keys)]},
                                             json={"channel_id": channel_id, "recipient": f"1555{i:07d}",
                                                   "text": f"burst {i}"})
            except httpx.HTTPError:
                return  # the process was killed while this send waited
            body = response.json() if response.status_code == 200 else {}
            if body.get("success") and "status" not in body:  # accepted by Meta (not queued for a retry)
                answered[body["message_id"]] = f"burst {i}"

        await asyncio.gather(*(one(i) for i in range(sends)))


def run_round(workdir: Path, sends: int, seed: int = 1) -> RoundResult:
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "burst.sqlite3"
    app_secret, verify_token = secrets.token_hex(16), secrets.token_hex(12)
    simulator = embedded.start_simulator(workdir, app_secret, verify_token)
    reference_args = dict(workdir=workdir, simulator_url=simulator.url, app_secret=app_secret,
                          verify_token=verify_token, webhook_ca_file=None, allow_webhook_hosts=["127.0.0.1"],
                          profile="default", db_path=db_path)
    reference = embedded.start_reference(**reference_args)
    try:
        with SimulatorClient(simulator.url) as sim, httpx.Client(base_url=reference.url, timeout=30) as http:
            world = sim.create_world(["whatsapp"], label="kill9-burst")
            phone = world.asset("whatsapp")
            account = http.post("/harness/accounts", json={"tier": "pro", "subscription_status": "active"}).json()
            key = account["api_key"]
            channel = http.post(f"/harness/accounts/{account['account_id']}/channels",
                                json={"channel_type": "whatsapp", "asset_id": phone.asset_id,
                                      "access_token": phone.access_token, "waba_id": phone.waba_id}).json()
            patched = http.patch(f"/api/v1/channels/{channel['id']}", headers={"X-API-Key": key},
                                 json={"webhook_url": "https://127.0.0.1:9/hooks", "webhook_events": ["message.failed"]})
            patched.raise_for_status()
            # one key per 50 sends: the burst stays under the per-key rate limit (100 per minute)
            keys = [http.post(f"/harness/accounts/{account['account_id']}/keys").json()["api_key"]
                    for _ in range(0, sends, 50)]
            sim.add_faults(world.world_id, [
                {"match": {"method": "POST", "path_contains": "/messages"}, "probability": 0.5,
                 "action": {"kind": "accepted_reply_lost", "seconds": SLOW_SECONDS}, "times": None},
                {"match": {"method": "POST", "path_contains": "/messages"},
                 "action": {"kind": "slow", "seconds": SLOW_SECONDS}, "times": None}], seed=seed)

            answered: dict[str, str] = {}

            async def burst_then_kill() -> None:
                task = asyncio.create_task(_burst(reference.url, keys, channel["id"], sends, answered))
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and sum(_states(db_path).values()) < sends:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.2)  # the first attempts are at Meta, held
                reference.kill()
                await task

            asyncio.run(burst_then_kill())
            result = RoundResult(sends=sends, answered_before_crash=len(answered),
                                 rows_before_restart=_states(db_path))
            restarted = embedded.start_reference(**reference_args)
            try:
                sim.clear_faults(world.world_id)
                result.rows_after_restart = _states(db_path)
                result.without_next_step = _without_next_step(db_path)
                accepted = Counter(m.payload.get("text", {}).get("body") for m in sim.sent_messages(world.world_id))
                result.accepted_by_meta = sum(accepted.values())
                with sqlite3.connect(db_path, timeout=30) as conn:
                    result.interrupted_failed = conn.execute(
                        "SELECT COUNT(*) FROM messages WHERE status = 'failed' AND error LIKE 'Interrupted:%'"
                    ).fetchone()[0]
                    result.failed_events = conn.execute(
                        "SELECT COUNT(*) FROM deliveries WHERE event = 'message.failed'").fetchone()[0]
                    for message_id, text in answered.items():
                        status = conn.execute("SELECT status FROM messages WHERE id = ?", (message_id,)).fetchone()
                        if accepted[text] != 1 or status is None or status[0] != "accepted":
                            result.answered_lost_or_doubled.append(message_id)
            finally:
                restarted.stop()
    finally:
        reference.kill()
        simulator.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=500, help="concurrent sends per round (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="kill -9 rounds (default 3)")
    args = parser.parse_args(argv)
    from benchmarks._common import print_machine

    print_machine()
    total = 0
    with tempfile.TemporaryDirectory(prefix="kill9-burst-") as tmp:
        for number in range(1, args.rounds + 1):
            result = run_round(Path(tmp) / f"round{number}", args.sends, seed=number)
            total += result.without_next_step
            print(f"round {number}: {result.line()}", flush=True)
    print(f"rows without a next step after the restarts: {total}")
    return 0 if total == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
