"""The kit's static checks: ``ruff check`` and ``mypy`` pass on the whole tree, as configured in pyproject.toml.

They run here, inside the README's test command (``python -m pytest -n auto``), so that CI (``.ci/run``, which
installs the kit as the README's Quickstart says, ``pip install -e '.[dev]'``) runs them too without a third
command. Both tools are pinned in the ``dev`` optional-dependency group; without them this test fails with
the line that installs them (it never skips: a skipped lint is a lint nobody runs).

mypy is strict on contract, simulator, reference and reports except for the modules listed as NOT YET STRICT
in pyproject.toml, and modules listed as NOT YET CHECKED are not checked at all. Both lists may only shrink:
the ceilings below are their lengths today; lower them when a module leaves a list, never raise them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = "install the kit's dev tools: pip install -e '.[dev]'"

NOT_YET_STRICT_CEILING = 23
NOT_YET_CHECKED_CEILING = 53
STRICT_PACKAGES = ("contract", "simulator", "reference", "reports")


def _tool(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed; {INSTALL_HINT}", pytrace=False)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)


def _overrides() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["mypy"]["overrides"]


def _listed(marker: str) -> list[str]:
    """The modules of the override whose comment in pyproject.toml starts with ``marker``."""
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index(f"# {marker}")
    block = text[start:text.index("]\n", text.index("module = [", start))]
    return [line.strip().strip(",").strip('"') for line in block.splitlines()[2:] if line.strip().startswith('"')]


def test_ruff_check_passes():
    _tool("ruff")
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_mypy_passes():
    _tool("mypy")
    result = _run("mypy")
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"


def test_the_lists_of_unfinished_modules_only_shrink():
    not_strict, not_checked = _listed("NOT YET STRICT"), _listed("NOT YET CHECKED")
    assert not_strict and not_checked, "the lists were not found in pyproject.toml; keep their comment lines"
    assert len(not_strict) <= NOT_YET_STRICT_CEILING, (
        f"{len(not_strict)} modules are NOT YET STRICT, more than the {NOT_YET_STRICT_CEILING} allowed: fix the "
        "new module's types instead of listing it")
    assert len(not_checked) <= NOT_YET_CHECKED_CEILING, (
        f"{len(not_checked)} modules are NOT YET CHECKED, more than the {NOT_YET_CHECKED_CEILING} allowed: fix "
        "the new module's types instead of listing it")
    assert all(name.split(".")[0] in STRICT_PACKAGES for name in not_strict), (
        "NOT YET STRICT is for the strict packages only", not_strict)
    for name in not_strict + not_checked:
        path = ROOT / (name.replace(".", "/") + ".py")
        package = ROOT / name.replace(".", "/") / "__init__.py"
        assert path.exists() or package.exists(), f"{name} is listed in pyproject.toml but no longer exists"


def test_strict_is_the_default_and_only_the_named_packages_are_relaxed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    relaxed = [o for o in _overrides() if o.get("disallow_untyped_defs") is False]
    wildcard = {m for o in relaxed for m in o["module"] if m.endswith(".*")}
    assert not {f"{p}.*" for p in STRICT_PACKAGES} & wildcard, "a strict package is relaxed as a whole"
