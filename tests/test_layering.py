"""House rule 1, checked on the source: the suites and load tests are black boxes; and the rooms of the kit
import only what docs/architecture.md §1 allows them.

Nothing under suites/ or loadtests/ may import the reference implementation, and they reach the simulator
only through its control client. The shared kit layer (fiwano_conformance/shared/) may be imported by every
part and imports nothing of the kit but the contract; the reports, the simulator and the reference import
only the contract, the shared layer and themselves. The check reads import statements with ``ast`` (not
grep), so aliased and nested forms are caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLACK_BOX_PACKAGES = ("suites", "loadtests")
ALLOWED_SIMULATOR_MODULES = {"simulator.client"}
KIT_PACKAGES = ("contract", "simulator", "reference", "suites", "loadtests", "reports", "fiwano_conformance", "tests")
SHARED = "fiwano_conformance.shared"
# room (folder) -> the kit modules it may import (each with its sub-modules); anything outside the kit is free
ROOMS = {
    "fiwano_conformance/shared": ("contract", SHARED),
    "reports": ("contract", SHARED, "reports"),
    "simulator": ("contract", SHARED, "simulator"),
    "reference": ("contract", SHARED, "reference"),
    # the speed-ups repeat FastAPI's dispatch and an HTTP client: they call the endpoints and the body caps
    "reference/speedups": ("contract", SHARED, "reference.api", "reference.bodylimit", "reference.speedups"),
    "contract": ("contract",),
}
# the reference modules that may use the speed-ups room (docs/architecture.md §1): the app picks the dispatch by
# the `speedups` setting, MetaClient the Graph client, the relay's webhook connections share the HTTP/1.1 framing
SPEEDUPS_USERS = {"reference/app.py", "reference/meta_client.py", "reference/webhook_http.py", "reference/relay.py"}


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


def _within(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in allowed)


def room_violations(path: Path, allowed: tuple[str, ...], root: Path = ROOT) -> list[str]:
    return [f"{path.relative_to(root)}:{line} imports {module} (allowed: {', '.join(allowed)})"
            for line, module in imported_modules(path)
            if module.split(".")[0] in KIT_PACKAGES and not _within(module, allowed)]


def test_each_room_imports_only_what_the_architecture_allows():
    problems = [problem for room, allowed in ROOMS.items() for path in sorted((ROOT / room).rglob("*.py"))
                for problem in room_violations(path, allowed)]
    assert not problems, "docs/architecture.md §1 broken:\n" + "\n".join(problems)


def test_only_the_named_modules_use_the_speedups_room():
    users = {str(path.relative_to(ROOT)) for path in sorted((ROOT / "reference").rglob("*.py"))
             if "speedups" not in path.relative_to(ROOT).parts
             and any(_within(module, ("reference.speedups",)) for _, module in imported_modules(path))}
    assert users <= SPEEDUPS_USERS, f"reference/speedups/ used beyond {sorted(SPEEDUPS_USERS)}: {sorted(users)}"
    assert {"reference/app.py", "reference/meta_client.py"} <= users


def test_the_shared_layer_is_what_the_parts_use():
    """The conventions live once, in the shared layer: no part defines its own copy again."""
    copies = {
        '"not-claimed:"': "fiwano_conformance.shared.results.NOT_CLAIMED_PREFIX",
        '"missing-prerequisite:"': "fiwano_conformance.shared.results.MISSING_PREREQUISITE_PREFIX",
        '"fiwano_req"': "fiwano_conformance.shared.results.REQ_PROPERTY",
        '"kit-ca.pem"': "fiwano_conformance.shared.kit_ca.CA_FILE_NAME",
        're.compile(r"mip_live_': "fiwano_conformance.shared.redact",
        '"/harness/accounts': "fiwano_conformance.shared.harness.HarnessClient",
        '"/harness/clock': "fiwano_conformance.shared.harness.HarnessClient",
        '/harness/health"': "fiwano_conformance.shared.harness.harness_problem",
    }
    sources = [p for package in KIT_PACKAGES if package != "tests" for p in (ROOT / package).rglob("*.py")
               if SHARED.replace(".", "/") not in p.as_posix()]
    found = [f"{p.relative_to(ROOT)} defines {text} again: import {home}" for p in sources
             for text, home in copies.items() if text in p.read_text(encoding="utf-8")]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("source", "allowed", "expected"),
    [
        ("from fiwano_conformance.shared.redact import redact", ("contract", SHARED), 0),
        ("from fiwano_conformance import embedded", ("contract", SHARED), 1),
        ("import suites.redact", ("contract", SHARED, "reports"), 1),
        ("import httpx", ("contract",), 0),
    ],
)
def test_the_room_checker_catches_an_import_across_rooms(tmp_path, source, allowed, expected):
    probe = tmp_path / "probe.py"
    probe.write_text(source + "\n")
    assert bool(room_violations(probe, allowed, root=tmp_path)) == bool(expected)


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
