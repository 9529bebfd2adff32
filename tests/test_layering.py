"""House rule 1, checked on the source: the suites and load tests are black boxes.

Nothing under suites/ or loadtests/ may import the reference implementation, and they reach the simulator
only through its control client. The check reads import statements with ``ast`` (not grep), so aliased,
nested and relative forms are caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLACK_BOX_PACKAGES = ("suites", "loadtests")
ALLOWED_SIMULATOR_MODULES = {"simulator.client"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def black_box_files() -> list[Path]:
    return sorted(p for package in BLACK_BOX_PACKAGES for p in (ROOT / package).rglob("*.py"))


def violations(path: Path, root: Path = ROOT) -> list[str]:
    problems = []
    for line, module in imported_modules(path):
        top = module.split(".")[0]
        if top == "reference":
            problems.append(f"{path.relative_to(root)}:{line} imports {module} (the reference is reached over HTTP only)")
        if top == "simulator" and module != "simulator" and not any(
            module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED_SIMULATOR_MODULES
        ):
            problems.append(f"{path.relative_to(root)}:{line} imports {module} (use simulator.client only)")
    return problems


def test_black_box_packages_import_neither_reference_nor_simulator_internals():
    files = black_box_files()
    assert files, "no source files found under suites/ or loadtests/"
    problems = [problem for path in files for problem in violations(path)]
    assert not problems, "house rule 1 broken:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import reference", 1),
        ("from reference.app import create_app", 1),
        ("import reference.app as r", 1),
        ("from simulator import app", 1),
        ("from simulator.client import SimulatorClient", 0),
        ("import contract", 0),
    ],
)
def test_the_checker_catches_forbidden_imports(tmp_path, source, expected):
    probe = tmp_path / "probe.py"
    probe.write_text(source + "\n")
    assert bool(violations(probe, root=tmp_path)) == bool(expected)
