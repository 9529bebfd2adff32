"""pytest plugin of the audit's coverage runs: tell the reference which suite test is about to run.

Loaded by the mutant worker for a coverage run (``-p fiwano_conformance.selftest.audit_context --audit-context-dir=DIR``).
Before each test's setup it writes the test's node id to ``DIR/context`` and waits (up to 2 s) until the
reference's coverage follower (:func:`fiwano_conformance.selftest.worker.follow_contexts`) has switched coverage.py's
dynamic context to it and acknowledged in ``DIR/ack``: every reference line the test's requests execute is
then recorded under that test. What runs before the first test (the reference starting) has no context.

After the last test it announces :data:`END`: coverage.py writes a context's lines when the context is
switched, and the reference may be stopped without saving, which lost the last test of every module
(seen in the audit of 2026-12-06: each module's last test was missing from the map). Lines recorded under
:data:`END` (the reference shutting down) belong to no test and are dropped by the map.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--audit-context-dir", default="", help="directory shared with the reference's coverage")


def announce(directory: Path, name: str, wait: float = 2.0) -> bool:
    tmp = directory / "context.tmp"
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, directory / "context")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if (directory / "ack").read_text(encoding="utf-8") == name:
                return True
        except OSError:
            pass
        time.sleep(0.001)
    return False


END = "(after the last test)"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    directory = session.config.getoption("audit_context_dir")
    if directory:
        announce(Path(directory), END)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    directory = item.config.getoption("audit_context_dir")
    if directory:
        announce(Path(directory), item.nodeid)
