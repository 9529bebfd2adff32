"""pytest plugin of a mutant's run: stop once a test of EVERY id the mutant names has failed.

Loaded by the mutant worker (``-p fiwano_conformance.selftest.stopper --mutant-requirements=A,B``). The suites plugin
records each test's requirement ids as the ``fiwano_req`` user property; when failed tests cover all of
the mutant's ids, the verdict (killed, and killed for each id) cannot change any more, so the rest of the
run is skipped (``session.shouldfail``, as ``-x`` does: exit code 1). The smoke set runs first, so its
result is always known.
``fiwano-conformance selftest mutants --all-tests`` turns this off to list every killer.
"""

from __future__ import annotations

import pytest

from fiwano_conformance.shared.results import REQ_PROPERTY

_state: dict[str, object] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mutant-requirements", default="", help="ids of the mutant under test (comma-separated)")


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _state["session"] = session
    _state["left"] = {rid for rid in session.config.getoption("mutant_requirements").split(",") if rid}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    left, session = _state.get("left"), _state.get("session")
    if not report.failed or not isinstance(left, set) or not left or session is None:
        return
    for name, value in report.user_properties:
        if name == REQ_PROPERTY:
            left.difference_update(str(value).split())
    if not left:
        session.shouldfail = "a test of every requirement id of the mutant has failed: the verdict is final"
