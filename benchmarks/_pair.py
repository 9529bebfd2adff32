"""Start the simulator and the reference as pinned subprocesses and provision accounts, channels and keys.

Uses the same helpers as the embedded pair (``fiwano_conformance.embedded.start_server``), with a
``taskset -c CPU`` launcher. Provisioning goes through the harness API (test mode) and the simulator's
control API, as the load tests do.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks._common import pinned_launcher


@dataclass
class Pair:
    simulator: object
    reference: object
    app_secret: str

    @property
    def sim_url(self) -> str:
        return self.simulator.url

    @property
    def ref_url(self) -> str:
        return self.reference.url

    def stop(self) -> None:
        self.reference.stop()
        self.simulator.stop()


def start_pinned_pair(workdir: Path, ref_cpu: str | None, sim_cpu: str | None, webhook_ca_file: Path | None = None,
                      profile: str = "default") -> Pair:
    from fiwano_conformance.embedded import point_simulator_at, start_reference, start_server

    workdir.mkdir(parents=True, exist_ok=True)
    secret, verify = secrets.token_hex(16), secrets.token_hex(12)
    sim = start_server("simulator", ["simulator", "--app-secret", secret, "--verify-token", verify], workdir,
                       launcher=pinned_launcher(sim_cpu))
    try:
        ref = start_reference(workdir, sim.url, secret, verify, webhook_ca_file, ["127.0.0.1", "localhost"], profile,
                              launcher=pinned_launcher(ref_cpu))
    except BaseException:
        sim.stop()
        raise
    point_simulator_at(sim.url, ref.url)
    return Pair(sim, ref, secret)


@dataclass
class Channel:
    account_id: str
    api_key: str
    channel_id: str
    world_id: str
    asset_id: str


def provision_whatsapp_channel(pair: Pair, enforce_window: bool = False) -> Channel:
    """One Pro account with one WhatsApp channel wired to a fresh simulator asset."""
    from simulator.client import SimulatorClient

    world = SimulatorClient(pair.sim_url).create_world(["whatsapp"], label="bench", enforce_window=enforce_window)
    asset = world.asset("whatsapp")
    with httpx.Client(base_url=pair.ref_url, timeout=30) as http:
        acct = http.post("/harness/accounts", json={"tier": "pro", "subscription_status": "active"})
        acct.raise_for_status()
        account = acct.json()
        ch = http.post(f"/harness/accounts/{account['account_id']}/channels",
                       json={"channel_type": "whatsapp", "asset_id": asset.phone_number_id,
                             "access_token": asset.access_token, "waba_id": asset.waba_id})
        ch.raise_for_status()
    return Channel(account["account_id"], account["api_key"], ch.json()["id"], world.world_id, asset.phone_number_id)


def mint_keys(ref_url: str, account_id: str, count: int, concurrency: int = 16) -> list[str]:
    """``count`` fresh API keys of one account (each key has its own 100 requests/minute)."""

    async def run() -> list[str]:
        sem = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=ref_url, timeout=30) as http:
            async def one() -> str:
                async with sem:
                    r = await http.post(f"/harness/accounts/{account_id}/keys")
                    r.raise_for_status()
                    return r.json()["api_key"]
            return await asyncio.gather(*(one() for _ in range(count)))

    return asyncio.run(run())
