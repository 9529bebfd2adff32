"""Self-test: every mutant of the reference is killed by a suite test mapped to its requirement ids.

The whole selected catalogue runs ONCE per pytest run (also under xdist: see ``catalogue``), in parallel
lanes (``FIWANO_MUTANT_JOBS``, default 3), from the session fixture ``catalogue``; each parametrized
``test_mutant_is_killed[NAME]`` then asserts on its mutant's result, so CI keeps one junit case per mutant. The run writes mutants.json, mutants-junit.xml and
mutants.html to ``FIWANO_MUTANT_RESULTS`` (default ``fiwano-results/ci-mutants``) and reports the mutation
score as a warning (shown in pytest's warnings summary, also under xdist). See docs/self-test.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import tempfile
import time
import warnings
from pathlib import Path

import pytest

from contract import load_requirements
from fiwano_conformance.selftest.catalogue import all_mutants
from fiwano_conformance.selftest.runner import ROOT, MutantPool

# Heavy: starts servers, Locust or whole pytest runs. Under `-n 2` all of the group runs on one worker,
# one after another, so two heavy runs never compete for this machine's two cores (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("heavy")

MUTANTS = all_mutants()
BY_NAME = {m.name: m for m in MUTANTS}


class MutationScore(UserWarning):
    """The mutation score of the CI gate's catalogue run (a warning so that it is shown under xdist too)."""


def test_every_mutant_names_known_requirements():
    known = load_requirements()
    for mutant in MUTANTS:
        assert mutant.requirements, f"{mutant.name} names no requirement"
        unknown = [req for req in mutant.requirements if req not in known]
        assert not unknown, f"{mutant.name} names unknown requirement ids {unknown}"


def _selected(session: pytest.Session) -> list[str]:
    names = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "originalname", "") == "test_mutant_is_killed" and callspec is not None:
            names.append(callspec.params["mutant"].name)
    return names


def _run_catalogue(names: list[str]) -> dict:
    """Run the mutants on ``FIWANO_MUTANT_JOBS`` lanes, write the reports, warn the score; {name: result}."""
    from reports.mutants import write_mutant_outputs
    from fiwano_conformance.selftest.results import document, host_info, slowest_first

    jobs = int(os.environ.get("FIWANO_MUTANT_JOBS", "3"))  # 3 lanes on 2 cores: tests wait a lot (timeouts)
    out = Path(os.environ.get("FIWANO_MUTANT_RESULTS", ROOT / "fiwano-results" / "ci-mutants"))
    mutants = slowest_first([BY_NAME[name] for name in names], out)
    host, wall_start, started = host_info(), time.time(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fiwano-mutants-ci-") as scratch:
        pool = MutantPool(jobs, Path(scratch))
        results = pool.run(mutants)
    elapsed = time.monotonic() - started
    data = document(results, wall_start, elapsed, jobs, host, pool.startup_seconds)
    write_mutant_outputs(data, out)
    counts = data["counts"]
    broken = [m["name"] for m in data["mutants"] if m["smoke_broken"]]
    warnings.warn(MutationScore(
        f"Mutation score: {data['killed']}/{data['total']} killed ({data['score']:.0%}) in {elapsed:.0f} s on "
        f"{jobs} job(s); {counts['survived']} survived, {counts['error']} error, {counts['smoke_broken']} smoke "
        f"broken{(' (' + ', '.join(broken) + ')') if broken else ''}. Reports: {out}/mutants.html"), stacklevel=2)
    return {r.mutant.name: r for r in results}


@pytest.fixture(scope="session")
def catalogue(request, tmp_path_factory):
    """The selected catalogue's results, {name: MutantResult}, computed ONCE per pytest run.

    Under xdist the parametrized tests may land on several workers (pytest-xdist's loadgroup does not
    keep ``xdist_group`` together with this pytest), so the first worker that needs the results runs the
    catalogue under a file lock in the run's shared temp directory, and the others read its results.
    """
    names = _selected(request.session) or [m.name for m in MUTANTS]
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    key = hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()[:16]
    stored = shared / f"fiwano-mutants-{key}.pickle"
    with (shared / f"fiwano-mutants-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.exists():
            return pickle.loads(stored.read_bytes())
        results = _run_catalogue(names)
        stored.write_bytes(pickle.dumps(results))
        return results


# the first of these tests sets the session fixture up, i.e. runs the whole catalogue: pyproject's 300 s
# per-test timeout would cut it short
@pytest.mark.timeout(int(os.environ.get("FIWANO_MUTANT_CATALOGUE_TIMEOUT", "3600")))
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_killed(mutant, catalogue, record_property):
    result = catalogue[mutant.name]
    record_property("mutant_status", result.status)
    record_property("killed_by", " ".join(result.killed_by))
    assert not result.error, f"mutant {mutant.name}: the run itself broke: {result.error}\n{result.output_tail}"
    assert result.tests_run, f"no suite test names {mutant.requirements}"
    assert result.killed, (
        f"mutant {mutant.name} ({mutant.defect}) SURVIVED: no test of {mutant.requirements} failed "
        f"(pytest exit {result.pytest_exit}).\nTests run: {result.tests_run}\n{result.output_tail}"
    )
