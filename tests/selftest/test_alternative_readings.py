"""Self-test: the suites pass on a second implementation, the reference switched to every other reading.

Where the docs allow several readings, the reference follows one and can be set to the documented others
(``FIWANO_REF_READINGS``, reference/readings.py) and to add fields v1 does not name
(``FIWANO_REF_EXTRA_FIELDS``, an additive later version). One run with all of them at once must be
conformant; the same run pins those readings (``FIWANO_READINGS``), so it also proves that a pin is met
by a target that follows it, and results.json must report each of them as the reading the target showed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fiwano_conformance import run_cmd
from reference.readings import READINGS

# Heavy: one whole suite run (see tests/selftest/test_suites_pass_on_reference.py and pyproject.toml).
pytestmark = pytest.mark.xdist_group("heavy")

ROOT = Path(__file__).resolve().parents[2]
ALTERNATIVES = {rid: others[0] for rid, (_own, others) in READINGS.items()}
# what the extra fields show: RELAY-ENVELOPE's reading "additive"
SHOWN = {**ALTERNATIVES, "RELAY-ENVELOPE": "additive"}


def _pairs(mapping: dict[str, str]) -> str:
    return ",".join(f"{rid}={reading}" for rid, reading in mapping.items())


@pytest.mark.timeout(900)  # a whole suite run: ~2-3 min on a quiet box, far more on a loaded one
def test_suites_pass_with_every_alternative_reading(tmp_path):
    results = tmp_path / "results"
    env = {**os.environ, "FIWANO_REF_READINGS": _pairs(ALTERNATIVES), "FIWANO_REF_EXTRA_FIELDS": "true",
           "FIWANO_READINGS": _pairs(SHOWN)}
    command = [sys.executable, "-m", "fiwano_conformance", "run", "--results", str(results), "-q", "-n", "2"]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
                               check=False)
    explain = "\n".join((completed.stdout + completed.stderr).splitlines()[-60:])

    assert completed.returncode == run_cmd.EXIT_CONFORMANT, explain
    counts = run_cmd.count_junit(results / "junit.xml")
    assert counts.passed > 0 and counts.failed == 0 and counts.errors == 0, explain
    shown = json.loads((results / "results.json").read_text(encoding="utf-8"))["readings"]
    missing = {rid: reading for rid, reading in SHOWN.items() if reading not in shown.get(rid, {})}
    # (and none of its own: each is pinned, so a test that saw the reference's own reading would have failed)
    assert not missing, f"readings the suites did not see the reference show: {missing}; saw {shown}"
