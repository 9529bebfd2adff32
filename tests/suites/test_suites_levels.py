"""Unit tests of the level reasons and the real-time budget of suites.plugin (no target needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from suites.plugin import level_reason, real_time_budget


class FakeItem:
    def __init__(self, marker=None, fixturenames=(), case=None):
        self._marker = marker
        self.fixturenames = list(fixturenames)
        if case is not None:
            self.callspec = SimpleNamespace(id=case)

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


def test_real_time_can_be_limited_to_some_cases_of_a_rule():
    mark = pytest.mark.level("controlled", real_time=320, real_time_cases=("whatsapp",)).mark
    chosen, other, plain = FakeItem(mark, ["clock"], "whatsapp"), FakeItem(mark, ["clock"], "facebook"), FakeItem(mark, ["clock"])
    opted_in = SimpleNamespace(real_time=True)
    assert real_time_budget(chosen, "controlled", "simulated", opted_in) == 320.0
    assert real_time_budget(other, "controlled", "simulated", opted_in) is None
    assert real_time_budget(plain, "controlled", "simulated", opted_in) is None  # not a listed case
    assert level_reason(chosen, "controlled") == "needs the harness clock (or --fiwano-real-time: waits up to 320 s)"
    assert level_reason(other, "controlled") == "needs the harness clock"


class _Node:
    def __init__(self):
        self.user_properties = []


def _real_clock(budget):
    from suites.clock import RealTimeClock

    notes = []
    request = SimpleNamespace(node=_Node())
    return RealTimeClock(budget, request, SimpleNamespace(note=notes.append)), request, notes


def test_a_real_time_clock_waits_stops_early_and_reports_what_it_waited():
    import time

    clock, request, notes = _real_clock(5)
    started = time.monotonic()
    clock.advance(0.2)
    flag = {"calls": 0}

    def arrived():
        flag["calls"] += 1
        return flag["calls"] >= 2

    clock.advance(4, until=arrived)  # holds at the second look: one poll, not four seconds
    elapsed = time.monotonic() - started
    assert clock.real_time is True and 0.2 <= elapsed < 2 and clock.waited == pytest.approx(elapsed, abs=0.1)
    clock.report()
    assert request.node.user_properties == [("fiwano_real_time_seconds", round(clock.waited, 1))]
    assert notes and "real time: waited" in notes[0]


def test_a_real_time_clock_over_its_budget_is_a_missing_prerequisite_without_waiting():
    import time

    clock, _, _ = _real_clock(1)
    started = time.monotonic()
    with pytest.raises(BaseException) as raised:
        clock.advance(30)
    assert "over its budget of 1 s" in str(raised.value) and time.monotonic() - started < 1
    assert clock.waited == 0


def test_every_case_named_for_real_time_exists():
    """``real_time_cases`` names parametrization ids; one that no longer exists (the parametrization changed)
    would silently leave its rule on the harness clock."""
    import importlib
    import inspect
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    listed = subprocess.run([sys.executable, "-m", "pytest", "suites", "--collect-only", "-q", "-p", "no:cacheprovider"],
                            cwd=root, capture_output=True, text=True, timeout=300).stdout.split()
    named, stale = 0, []
    for path in sorted((root / "suites").glob("test_*.py")):
        module = importlib.import_module(f"suites.{path.stem}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            for mark in getattr(function, "pytestmark", []):
                cases = mark.kwargs.get("real_time_cases") if mark.name == "level" else None
                for case in cases or ():
                    named += 1
                    if f"suites/{path.name}::{name}[{case}]" not in listed:
                        stale.append(f"{path.name}::{name}[{case}]")
    assert named and not stale, stale
