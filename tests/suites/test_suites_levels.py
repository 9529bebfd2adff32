"""Unit tests of the level reasons and the real-time budget of suites.plugin (no target needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from suites.plugin import level_reason, real_time_budget


class FakeItem:
    def __init__(self, marker=None, fixturenames=()):
        self._marker = marker
        self.fixturenames = list(fixturenames)

    def get_closest_marker(self, name):
        return self._marker if name == "level" else None


def test_a_controlled_test_says_why_it_needs_the_harness():
    clock_test = FakeItem(pytest.mark.level("controlled").mark, ["account", "clock"])
    minting = FakeItem(pytest.mark.level("controlled", reason="needs the harness to mint API keys").mark, ["account"])
    windowed = FakeItem(pytest.mark.level("controlled", real_time=150).mark, ["clock"])
    assert level_reason(clock_test, "controlled") == "needs the harness clock"
    assert level_reason(minting, "controlled") == "needs the harness to mint API keys"
    assert level_reason(windowed, "controlled") == "needs the harness clock (or --fiwano-real-time: waits up to 150 s)"
    assert level_reason(FakeItem(pytest.mark.level("simulated").mark, ["account"]), "simulated") == ""


def test_real_time_runs_only_opted_in_tests_of_a_simulated_run():
    windowed = FakeItem(pytest.mark.level("controlled", real_time=150).mark, ["clock"])
    long_clock = FakeItem(pytest.mark.level("controlled").mark, ["clock"])
    opted_in, not_opted = SimpleNamespace(real_time=True), SimpleNamespace(real_time=False)
    assert real_time_budget(windowed, "controlled", "simulated", opted_in) == 150.0
    assert real_time_budget(windowed, "controlled", "simulated", not_opted) is None
    assert real_time_budget(windowed, "controlled", "controlled", opted_in) is None  # the harness clock is there
    assert real_time_budget(windowed, "controlled", "api", opted_in) is None  # no simulator, no channels
    assert real_time_budget(long_clock, "controlled", "simulated", opted_in) is None
