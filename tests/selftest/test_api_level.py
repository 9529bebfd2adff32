"""Self-test: a target that offers only API keys (no harness, no simulator) runs at the api level.

This is how a team checks a production deployment: keys minted beforehand, ``--fiwano-level api``. The
reference is started once in test mode to mint keys of four accounts, then again on the same database
WITHOUT ``--test-mode`` (its harness answers 404). The run must be conformant, and every test that needs
the simulated or controlled level must be reported as not-claimed, not skipped silently or failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fiwano_conformance import embedded, run_cmd

# Heavy: starts servers and a whole pytest run (see pyproject.toml's loadgroup).
pytestmark = pytest.mark.xdist_group("heavy")

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE_META = "http://127.0.0.1:9"  # the api level never needs Meta
ACCOUNTS = 4  # two workers x two accounts: isolation tests need two accounts per worker


def _profile(workdir: Path) -> Path:
    """The default profile with a roomier rate limit, given to the target and to the suites alike: the
    api level shares a few keys among all tests, and at 100 requests/minute per key the run would spend
    most of its time waiting out 429s (which it does correctly, only slowly)."""
    import yaml

    from contract import load_profile

    profile = load_profile("default")
    profile["rate_limit"]["requests"] = 1000
    path = workdir / "roomy-rate-limit.yaml"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    return path


def _reference(workdir: Path, db: Path, test_mode: bool) -> embedded.ManagedServer:
    args = ["reference", "--db", str(db), "--meta-graph-url", UNREACHABLE_META, "--meta-app-id", "1",
            "--meta-app-secret", "api-level-secret", "--meta-verify-token", "api-level-token",
            "--profile", str(_profile(workdir.parent))]
    workdir.mkdir(parents=True, exist_ok=True)
    return embedded.start_server("reference", args + (["--test-mode"] if test_mode else []), workdir)


def _mint_keys(workdir: Path, db: Path) -> list[str]:
    minting = _reference(workdir / "minting", db, test_mode=True)
    try:
        return [httpx.post(f"{minting.url}/harness/accounts", json={"tier": "pro", "subscription_status": "active"},
                           timeout=10).json()["api_key"] for _ in range(ACCOUNTS)]
    finally:
        minting.stop()


def test_api_level_against_a_target_without_harness(tmp_path):
    db = tmp_path / "reference.sqlite3"
    keys = _mint_keys(tmp_path, db)
    target = _reference(tmp_path / "production", db, test_mode=False)
    results = tmp_path / "results"
    try:
        assert httpx.get(f"{target.url}/harness/health", timeout=10).status_code == 404, "the harness is mounted"
        command = [sys.executable, "-m", "fiwano_conformance", "run", "--target", target.url, "--level", "api",
                   "--profile", str(_profile(tmp_path)),
                   "--results", str(results), "-q", "-n", "2", *(f"--fiwano-api-key={key}" for key in keys)]
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    finally:
        target.stop()
    output = "\n".join((completed.stdout + completed.stderr).splitlines()[-60:])
    assert completed.returncode == run_cmd.EXIT_CONFORMANT, output

    tests = json.loads((results / "results.json").read_text())["tests"]
    by_status: dict[str, list[dict]] = {}
    for test in tests:
        by_status.setdefault(test["status"], []).append(test)
    assert not by_status.get("fail") and not by_status.get("error"), output
    passed = by_status.get("pass", [])
    assert passed and all(test["level"] == "api" for test in passed), [t["nodeid"] for t in passed if t["level"] != "api"]
    above_api = [test for test in tests if test["level"] in ("simulated", "controlled")]
    assert above_api, "no simulated or controlled test was collected"
    wrongly_reported = [test["nodeid"] for test in above_api if test["status"] != "not-claimed"]
    assert not wrongly_reported, f"tests above the api level not reported as not-claimed: {wrongly_reported[:20]}"
    assert "api" in completed.stdout and str(results) in completed.stdout
