"""reports/ may import the contract and the shared kit layer only (docs/architecture.md §1): it must render
results of any run, including one recorded elsewhere, without the suites, the simulator or the reference."""

from __future__ import annotations

from pathlib import Path

from tests.test_layering import SHARED, imported_modules

REPORTS = Path(__file__).resolve().parents[2] / "reports"
FORBIDDEN = ("suites", "simulator", "reference", "loadtests", "fiwano_conformance")


def test_reports_import_nothing_of_the_other_parts():
    problems = [f"{path.name}:{line} imports {module}" for path in sorted(REPORTS.glob("*.py"))
                for line, module in imported_modules(path) if module.split(".")[0] in FORBIDDEN
                and module != SHARED and not module.startswith(SHARED + ".")]
    assert problems == []
