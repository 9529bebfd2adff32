"""Self-test: the suites pass on the reference, both ways a user runs them.

* ``fiwano-conformance run`` with no target: README command 1, the plugin starts the embedded pair;
* against a reference and a simulator started as separate servers and given by URL, as for any other
  implementation, with two xdist workers sharing them: this proves the suites are black boxes and safe in
  parallel against one target.
"""

from __future__ import annotations

import pytest

import secrets
import subprocess
import sys
from pathlib import Path

from fiwano_conformance import embedded, run_cmd
from tests.mutants.runner import ensure_kit_ca

# Heavy: starts servers, Locust or whole pytest runs. Under `-n 2` all of the group runs on one worker,
# one after another, so two heavy runs never compete for this machine's two cores (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("heavy")

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], results: Path) -> tuple[subprocess.CompletedProcess, run_cmd.Counts]:
    command = [sys.executable, "-m", "fiwano_conformance", "run", "--results", str(results), "-q", *args]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    junit = results / "junit.xml"
    counts = run_cmd.count_junit(junit) if junit.exists() else run_cmd.Counts()
    return completed, counts


def _explain(completed: subprocess.CompletedProcess) -> str:
    return "\n".join((completed.stdout + completed.stderr).splitlines()[-60:])


def test_run_against_the_embedded_pair_is_conformant(tmp_path):
    completed, counts = _run(["-n", "2"], tmp_path / "results")
    assert completed.returncode == run_cmd.EXIT_CONFORMANT, _explain(completed)
    assert counts.passed > 0 and counts.failed == 0 and counts.errors == 0, _explain(completed)
    assert "Verdict: CONFORMANT" in completed.stdout
    assert str(tmp_path / "results") in completed.stdout


def test_suites_pass_against_servers_given_by_url(tmp_path):
    ca_file = ensure_kit_ca(tmp_path / "ca")
    secret, token = secrets.token_hex(16), secrets.token_hex(12)
    simulator = embedded.start_simulator(tmp_path, secret, token)
    reference = None
    try:
        reference = embedded.start_reference(tmp_path, simulator.url, secret, token, ca_file,
                                             ["127.0.0.1", "localhost"], "default")
        embedded.point_simulator_at(simulator.url, reference.url)
        # two workers share this one target and simulator, as a team's CI would: the time lock
        # (suites/clock.py) keeps one worker's clock moves from disturbing the other's tests
        completed, counts = _run(["--target", reference.url, "--simulator", simulator.url,
                                  "--harness", reference.url, f"--fiwano-sink-ca-dir={ca_file.parent}", "-n", "2"],
                                 tmp_path / "results")
    finally:
        if reference is not None:
            reference.stop()
        simulator.stop()
    assert completed.returncode == run_cmd.EXIT_CONFORMANT, _explain(completed)
    assert counts.passed > 0 and counts.failed == 0 and counts.errors == 0, _explain(completed)
