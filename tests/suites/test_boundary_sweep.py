"""The boundary sweep covers every number of every profile (suites/boundaries.py): a new number in a profile
fails here until it has requirements and suite tests at its exact boundary, or a stated reason why it bounds
nothing the target decides."""

from __future__ import annotations

import pytest

from contract import PROFILES_DIR, load_profile, load_requirements
from fiwano_conformance.requirements_cmd import scan_suites
from suites.boundaries import NOT_A_TARGET_BOUNDARY, SWEEP, profile_numbers

PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_number_has_a_sweep_entry(name):
    numbers = profile_numbers(load_profile(name))
    missing = [n for n in numbers if n not in SWEEP and n not in NOT_A_TARGET_BOUNDARY]
    assert not missing, (f"profile {name!r}: numbers without a boundary sweep entry in suites/boundaries.py (add "
                         f"the requirement ids and suite tests at L and L+1 / T-1 s and T+1 s): {missing}")


def test_sweep_names_only_numbers_of_the_profiles():
    numbers = set().union(*(profile_numbers(load_profile(name)) for name in PROFILES))
    stale = sorted((set(SWEEP) | set(NOT_A_TARGET_BOUNDARY)) - numbers)
    assert not stale, f"suites/boundaries.py names numbers no profile has: {stale}"
    both = sorted(set(SWEEP) & set(NOT_A_TARGET_BOUNDARY))
    assert not both, f"numbers both swept and declared not a boundary: {both}"


def test_sweep_entries_name_known_requirements_and_real_probes():
    known = load_requirements()
    tests_by_req = scan_suites().tests_by_req
    problems = []
    for number, entry in SWEEP.items():
        assert entry.reqs and entry.probes and entry.how, f"{number}: reqs, probes and how are all needed"
        problems += [f"{number}: unknown requirement {r}" for r in entry.reqs if r not in known]
        for probe in entry.probes:
            if not any(probe in tests_by_req.get(r, []) for r in entry.reqs):
                problems.append(f"{number}: {probe} is not a suite test marked with any of {entry.reqs}")
    assert not problems, "\n".join(problems)

