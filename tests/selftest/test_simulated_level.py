"""Self-test: a target WITHOUT the kit's harness, wired to the simulator and given API keys, runs at the
simulated level and is judged on most of the catalogue.

This is how a team checks a staging deployment that uses the kit's simulator as its Meta: no ``/harness``,
keys of dedicated test accounts in every subscription state, made beforehand by the implementation's own
admin path. Here the reference plays that target: started WITHOUT ``--test-mode`` (its harness answers
404), its keys minted by its operator command (``fiwano-conformance reference admin create-account``), and
the suites run at ``--level simulated`` with ``-n 2`` sharing the one target. Channels are connected through
the real OAuth connect flow; the tier-gating matrix runs for every supplied state.

The same run then goes down to ``--level api`` on the same keys, where every test above the api level must
be reported not-claimed (this used to be tests/selftest/test_api_level.py).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from fiwano_conformance import embedded, run_cmd
from fiwano_conformance.selftest.runner import ensure_kit_ca

# Heavy: starts servers and whole pytest runs (see pyproject.toml's loadgroup).
pytestmark = pytest.mark.xdist_group("heavy")

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
def _states() -> dict[str, tuple[str, str, str | None, int]]:
    """account state -> (tier, subscription, source, accounts) for every state the suites can ask for: one
    account per key, so every worker has its own key of every state, and a worker's two pro keys are two
    accounts (the isolation tests need two)."""
    from suites.config import account_state
    from suites.enumerations import subscription_states

    states = {}
    for tier, status, source in subscription_states():
        name = account_state(tier, status, source)
        states.setdefault(name, (tier, status, source, (2 if name == "pro" else 1) * WORKERS))
    return states


STATES = _states()
MIN_JUDGED = 200  # of the catalogue's requirements, judged and passing without the harness


def roomy_profile(workdir: Path) -> Path:
    """The default profile with a roomier rate limit, given to the target and to the suites alike: shared
    keys at 100 requests/minute would make the run wait out 429s (correctly, only slowly)."""
    import yaml

    from contract import load_profile

    profile = copy.deepcopy(load_profile("default"))  # (the loaded profile is shared and read-only)
    profile["rate_limit"]["requests"] = 1000
    path = workdir / "roomy-rate-limit.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    return path


def create_accounts(db: Path, state: str) -> list[str]:
    """The accounts of ``state`` through the reference's operator command; their printed API keys."""
    tier, subscription, source, accounts = STATES[state]
    command = [sys.executable, "-m", "fiwano_conformance", "reference", "admin", "create-account", "--db", str(db),
               "--tier", tier, "--subscription", subscription, *(["--source", source] if source else []),
               "--count", str(accounts)]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    keys = completed.stdout.split()
    assert len(keys) == accounts and all(key.startswith("mip_live_") for key in keys), completed.stdout
    return keys


def key_options(db: Path) -> list[str]:
    """``--fiwano-api-key=STATE=KEY`` for every account of every state (SQLite serializes the writers)."""
    from concurrent.futures import ThreadPoolExecutor

    states = list(STATES)
    first = create_accounts(db, states[0])  # creates the database before the parallel writers
    with ThreadPoolExecutor(max_workers=4) as pool:
        keys = [first, *pool.map(lambda state: create_accounts(db, state), states[1:])]
    return [f"--fiwano-api-key={state}={key}" for state, mine in zip(states, keys, strict=True) for key in mine]


def run_suites(args: list[str], results: Path, timeout: float = 1200) -> tuple[subprocess.CompletedProcess, dict]:
    command = [sys.executable, "-m", "fiwano_conformance", "run", "--results", str(results), "-q", *args]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout + 120,
                               check=False)
    path = results / "results.json"
    return completed, (json.loads(path.read_text()) if path.exists() else {})


def explain(completed: subprocess.CompletedProcess) -> str:
    return "\n".join((completed.stdout + completed.stderr).splitlines()[-60:])


@contextmanager
def target_without_harness(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """The reference WITHOUT test mode, wired to a fresh simulator, its keys made beforehand by the operator
    command: yields the options every run passes (target, profile, CA, keys, -n) and the simulator's URL."""
    ca_file = ensure_kit_ca(tmp_path / "ca")
    profile = roomy_profile(tmp_path)
    db = tmp_path / "reference.sqlite3"
    keys = key_options(db)  # before the target starts, as an operator provisions test accounts
    secret, token = secrets.token_hex(16), secrets.token_hex(12)
    simulator = embedded.start_simulator(tmp_path, secret, token)
    target = None
    try:
        target = embedded.start_reference(tmp_path, simulator.url, secret, token, ca_file, ["127.0.0.1", "localhost"],
                                          str(profile), db_path=db, test_mode=False)
        embedded.point_simulator_at(simulator.url, target.url)
        assert httpx.get(f"{target.url}/harness/health", timeout=10).status_code == 404, "the harness is mounted"
        # --skip-doctor: the doctor checks every key one by one within 15 s, too few for 40 keys on a busy box
        yield (["--target", target.url, "--profile", str(profile), f"--fiwano-sink-ca-dir={ca_file.parent}",
                "--skip-doctor", "-n", str(WORKERS), *keys], simulator.url)
    finally:
        if target is not None:
            target.stop()
        simulator.stop()


def check_simulated_run(completed: subprocess.CompletedProcess, data: dict, min_judged: int) -> list[str]:
    """Conformant, at least ``min_judged`` requirements judged and passing, every other one not-claimed with
    its reason; the passing requirement ids."""
    assert completed.returncode == run_cmd.EXIT_CONFORMANT, explain(completed)
    requirements = data["requirements"]
    passing = [r["id"] for r in requirements if r["status"] == "pass"]
    others = {r["id"]: r["status"] for r in requirements if r["status"] != "pass"}
    assert len(passing) >= min_judged, f"{len(passing)} requirements judged and passing: {explain(completed)}"
    assert set(others.values()) <= {"not-claimed"}, others
    reasons = [t for t in data["tests"] if t["status"] == "not-claimed" and not t["message"].startswith("not-claimed:")]
    assert not reasons, reasons[:5]
    return passing


@pytest.mark.timeout(1800)  # two whole suite runs (the simulated one: ~5 min with -n 2 on a busy 2-core box)
def test_simulated_level_against_a_target_without_harness(tmp_path):
    with target_without_harness(tmp_path) as (common, simulator_url):
        started = time.monotonic()
        simulated, data = run_suites([*common, "--simulator", simulator_url, "--level", "simulated"],
                                     tmp_path / "simulated")
        simulated_seconds = time.monotonic() - started
        api, api_data = run_suites([*common, "--level", "api"], tmp_path / "api")

    # the simulated level: conformant, >= MIN_JUDGED requirements judged and passing, the rest not-claimed
    passing = check_simulated_run(simulated, data, MIN_JUDGED)
    judged = {s["level"]: s["judged"] for s in data["scores"]}
    print(f"simulated level: {len(passing)} of {len(data['requirements'])} requirements judged and passing "
          f"(by catalogue level {judged}) in {simulated_seconds:.0f} s")
    assert not [t for t in data["tests"] if t.get("real_time_seconds") is not None], "waited without opting in"

    # the api level on the same keys: conformant, only api tests pass, everything above is not-claimed
    assert api.returncode == run_cmd.EXIT_CONFORMANT, explain(api)
    api_tests = api_data["tests"]
    assert not [t for t in api_tests if t["status"] in ("fail", "error")], explain(api)
    passed = [t for t in api_tests if t["status"] == "pass"]
    assert passed and all(t["level"] == "api" for t in passed), [t["nodeid"] for t in passed if t["level"] != "api"]
    above = [t for t in api_tests if t["level"] in ("simulated", "controlled")]
    assert above and all(t["status"] == "not-claimed" for t in above), \
        [t["nodeid"] for t in above if t["status"] != "not-claimed"][:20]


# ------------------------------------------------------------------------------------------- real time

REAL_TIME_OPT_IN = "FIWANO_SELFTEST_REAL_TIME"
REAL_TIME_WALL_SECONDS = 20 * 60  # the whole simulated run with --fiwano-real-time and -n 2
MIN_JUDGED_REAL_TIME = MIN_JUDGED + 10  # the relay retries, the first send retries, code TTL, profile cache, ...


@pytest.mark.skipif(not os.environ.get(REAL_TIME_OPT_IN),
                    reason=f"opt-in ({REAL_TIME_OPT_IN}=1): about 20 minutes, mostly waiting in real time; not in CI")
@pytest.mark.timeout(REAL_TIME_WALL_SECONDS + 600)
def test_simulated_level_in_real_time_against_a_target_without_harness(tmp_path):
    """The same target with ``--fiwano-real-time``: the rules of seconds to a few minutes (rate-limit
    windows, the first relay and send retries, the exchange-code and profile-cache lifetimes) wait in real
    time, within their budgets, and pass; each of them reports how long it waited; the run stays within
    20 minutes with -n 2. Longer rules stay not-claimed ("needs the harness clock")."""
    with target_without_harness(tmp_path) as (common, simulator_url):
        started = time.monotonic()
        completed, data = run_suites([*common, "--simulator", simulator_url, "--level", "simulated",
                                      "--fiwano-real-time"], tmp_path / "real-time", timeout=REAL_TIME_WALL_SECONDS)
        seconds = time.monotonic() - started

    passing = check_simulated_run(completed, data, MIN_JUDGED_REAL_TIME)
    tests = data["tests"]
    waited = {t["nodeid"]: t["real_time_seconds"] for t in tests if t.get("real_time_seconds") is not None}
    # every case that declares a budget ran (none is left not-claimed "or --fiwano-real-time"), and waited
    left = [t["nodeid"] for t in tests if "--fiwano-real-time: waits up to" in t.get("message", "")]
    assert not left, left[:10]
    ran = [t for t in tests if t["level"] == "controlled" and t["status"] == "pass"]
    assert ran and all(t["nodeid"] in waited and waited[t["nodeid"]] > 0 for t in ran), \
        [t["nodeid"] for t in ran if not waited.get(t["nodeid"])]
    assert seconds <= REAL_TIME_WALL_SECONDS, f"{seconds:.0f} s with -n {WORKERS}"
    lines = [line for line in completed.stdout.splitlines() if line.startswith(("Tests:", "Requirements:", "Real time:"))]
    print(f"real time: {len(passing)} requirements judged and passing in {seconds:.0f} s; " + " | ".join(lines))
    for nodeid, value in sorted(waited.items(), key=lambda item: -item[1]):
        print(f"  {value:6.1f} s  {nodeid}")
