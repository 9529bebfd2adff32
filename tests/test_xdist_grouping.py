"""The kit's CI relies on ``--dist loadgroup`` keeping every ``xdist_group("heavy")`` test on ONE worker
(whole-suite runs, the mutant catalogue and Locust must not compete for this machine's two cores).
pytest 9.2 silently broke that (pytest-xdist#1386), hence the pin in pyproject.toml; this test notices
if a future combination breaks it again."""

from __future__ import annotations

import re

pytest_plugins = ["pytester"]


def test_heavy_group_runs_on_one_worker(pytester):
    pytester.makepyfile("""
import pytest

@pytest.mark.xdist_group("heavy")
@pytest.mark.parametrize("i", range(6))
def test_heavy(i):
    pass

@pytest.mark.parametrize("i", range(6))
def test_light(i):
    pass
""")

    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "-v", "-p", "no:randomly",
                                           "-p", "no:cacheprovider")

    result.assert_outcomes(passed=12)
    workers = {m.group(1) for m in re.finditer(r"\[(gw\d+)\][^\n]*::test_heavy\[", result.stdout.str())}
    assert len(workers) == 1, f"heavy tests ran on {sorted(workers)}:\n{result.stdout.str()}"
