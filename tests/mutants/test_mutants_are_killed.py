"""Self-test: every mutant of the reference is killed by a suite test mapped to its requirement ids."""

from __future__ import annotations

import pytest

from contract import load_requirements
from tests.mutants.catalogue import all_mutants
from tests.mutants.runner import run_mutant

# Heavy: starts servers, Locust or whole pytest runs. Under `-n 2` all of the group runs on one worker,
# one after another, so two heavy runs never compete for this machine's two cores (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("heavy")

MUTANTS = all_mutants()


def test_every_mutant_names_known_requirements():
    known = load_requirements()
    for mutant in MUTANTS:
        assert mutant.requirements, f"{mutant.name} names no requirement"
        unknown = [req for req in mutant.requirements if req not in known]
        assert not unknown, f"{mutant.name} names unknown requirement ids {unknown}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_killed(mutant, tmp_path):
    result = run_mutant(mutant, tmp_path)
    assert result.tests_run, f"no suite test names {mutant.requirements}"
    assert result.killed, (
        f"mutant {mutant.name} ({mutant.defect}) SURVIVED: the tests for {mutant.requirements} all passed "
        f"(pytest exit {result.pytest_exit}).\nTests run: {result.tests_run}\n{result.output_tail}"
    )
