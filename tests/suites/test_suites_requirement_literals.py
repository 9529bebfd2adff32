"""Every requirement id a suite module spells as a string names a requirement of the catalogue.

The markers are checked by the plugin (an unknown id in ``@pytest.mark.req`` is a collection error), but the
ids handed to ``expect.*`` for a failure's text are plain strings: a misspelt one (``SEND-TEXT`` for
``SEND-TEXT-OK``) would send a reader of the failure to a rule that does not exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import contract

SUITES = Path(__file__).resolve().parents[2] / "suites"
ID_SHAPE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+")
# strings of that shape that are test data, not requirement ids
DATA = {"ORD-123"}


def _id_like_literals() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(SUITES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ID_SHAPE.fullmatch(node.value):
                found.setdefault(node.value, set()).add(path.name)
    return found


def test_every_id_like_string_in_the_suites_is_a_requirement() -> None:
    known = set(contract.load_requirements()) | DATA
    unknown = {value: sorted(files) for value, files in _id_like_literals().items() if value not in known}
    assert not unknown, f"requirement ids the catalogue does not have (or test data to add to DATA): {unknown}"


def test_the_check_sees_the_ids_of_expect_calls() -> None:
    assert "SEND-TEXT-OK" in _id_like_literals()
