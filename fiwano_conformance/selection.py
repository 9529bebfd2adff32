"""Selecting suite tests by requirement id, prefix or area, or by a list of tests (``run --req/--area/--last-failed``).

A pytest plugin loaded by ``fiwano-conformance run`` (``-p fiwano_conformance.selection``) when the run
selects: after the suites plugin has read each test's ``@pytest.mark.req`` ids, the tests that name none of
the selected requirements are deselected (pytest's ``deselected``, like ``-k``). The run then judges only
part of the suites, so its verdict is ``partial``, never ``conformant`` (docs/ci.md).

* ``--req SEND-TEXT-LENGTH`` an id; ``--req SEND-`` (or ``--req SEND``) every id with that prefix;
  comma-separated or repeated;
* ``--area relay`` every requirement whose id starts with ``RELAY-``, or whose docs section (the first part of
  ``section`` in contract/requirements.yaml) contains the word, e.g. ``--area templates`` for "WhatsApp
  Templates" or ``--area webhooks`` for "Incoming Webhooks";
* ``--last-failed`` the tests that failed or errored in the previous results.json of the results directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import pytest

from fiwano_conformance.shared.results import REQ_PROPERTY

REQ_OPTION, AREA_OPTION, TESTS_OPTION = "fiwano_select_req", "fiwano_select_area", "fiwano_select_tests"


class SelectionError(ValueError):
    """A selection that matches no requirement: a configuration mistake (exit 2), not an empty run."""


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def requirements_for(reqs: Iterable[str], areas: Iterable[str], catalogue: dict[str, dict[str, Any]]) -> set[str]:
    """The requirement ids that ``--req`` and ``--area`` select; SelectionError for one that selects nothing."""
    selected: set[str] = set()
    for pattern in _split(reqs):
        upper = pattern.upper()
        prefix = upper if upper.endswith("-") else upper + "-"
        mine = {rid for rid in catalogue if rid == upper or rid.startswith(prefix)}
        if not mine:
            raise SelectionError(f"--req {pattern}: no requirement id is or starts with {pattern!r} "
                                 "(see `fiwano-conformance requirements`)")
        selected |= mine
    for area in _split(areas):
        word = area.lower()
        mine = {rid for rid, entry in catalogue.items()
                if rid.split("-")[0].lower() == word
                or word in _words(str(entry.get("section", "")).split(" / ")[0])}
        if not mine:
            raise SelectionError(f"--area {area}: no requirement has that id prefix or docs section; areas: "
                                 + ", ".join(sorted(areas_of(catalogue))))
        selected |= mine
    return selected


def areas_of(catalogue: dict[str, dict[str, Any]]) -> set[str]:
    """The id prefixes, lower case (``relay``, ``send``, ``tpl``...), each a valid ``--area``."""
    return {rid.split("-")[0].lower() for rid in catalogue}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fiwano-selection", "Fiwano test selection (fiwano-conformance run --req/--area)")
    group.addoption("--fiwano-select-req", dest=REQ_OPTION, action="append", default=[], metavar="ID|PREFIX")
    group.addoption("--fiwano-select-area", dest=AREA_OPTION, action="append", default=[], metavar="AREA")
    group.addoption("--fiwano-select-tests", dest=TESTS_OPTION, metavar="FILE",
                    help="a file of stable test ids (suites/test_x.py::test[param]), one a line")


@pytest.hookimpl(trylast=True)  # after the suites plugin has recorded each test's requirement ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reqs, areas = config.getoption(REQ_OPTION) or [], config.getoption(AREA_OPTION) or []
    tests_file = config.getoption(TESTS_OPTION)
    if not (reqs or areas or tests_file):
        return
    from reports.collector import stable_test_id

    wanted_reqs: set[str] | None = None
    if reqs or areas:
        from contract import load_requirements

        try:
            wanted_reqs = requirements_for(reqs, areas, load_requirements())
        except SelectionError as exc:
            raise pytest.UsageError(str(exc)) from None
    wanted_tests: set[str] | None = None
    if tests_file:
        wanted_tests = {line.strip() for line in Path(tests_file).read_text(encoding="utf-8").splitlines()
                        if line.strip()}
    keep, drop = [], []
    for item in items:
        ids = set(str(dict(item.user_properties).get(REQ_PROPERTY, "")).split())
        ok = (wanted_reqs is None or bool(ids & wanted_reqs)) and \
             (wanted_tests is None or stable_test_id(item) in wanted_tests)
        (keep if ok else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
