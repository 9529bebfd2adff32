"""Self-test: the suites pass on the reference run as README command 1 (``fiwano-conformance run`` with no
target: the plugin starts the embedded pair).

The other way a user runs them, against a reference and a simulator started as separate servers and given by
URL with two xdist workers sharing them, is proved by the README's own standalone recipe, run exactly as
printed (tests/docs/test_docs_run_as_written.py): that run is the black-box, shared-target proof, so it is not
repeated here (each whole-suites run costs the kit's CI over a minute).
"""

from __future__ import annotations

import pytest

import subprocess
import sys
from pathlib import Path

from fiwano_conformance import run_cmd

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
