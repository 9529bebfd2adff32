"""A suite helper is defined once: the same step spelled in several modules drifts apart (issue 16 found
``open_window`` four times, with three different requirement ids and two notions of "2xx", and ``meta_sends``
twice with two signatures).

The check reads the public module-level functions of suites/ with ``ast`` (a ``_private`` helper belongs to
its module and may share a name). ``KNOWN_TWICE`` lists the names still defined in more than one module
(same-named helpers of different meaning, or copies not merged yet); it may only shrink, so a new copy of a
helper fails here and is imported instead.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name -> the modules that define it today (remove an entry when its copies are merged)
KNOWN_TWICE = {
    "configure": {"support_relay.py", "test_inbound_relay.py"},
    "created": {"readings.py", "support_templates.py"},
    "describe_calls": {"support_media.py", "support_templates.py"},
    "emit": {"support_relay.py", "test_inbound_relay.py"},
    "error_detail": {"expect.py", "readings.py"},
    "last_seq": {"support_sending.py", "support_templates.py"},  # support_templates': by world id
    "refused": {"support_templates.py", "test_send_media.py"},
    "wa": {"test_boundaries_templates.py", "test_template_send.py", "test_templates.py"},
}


def helper_definitions(root: Path = ROOT / "suites") -> dict[str, set[str]]:
    """Public module-level function name (tests excluded) -> the suite modules (below ``root``) defining it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith(("test_", "_")):
                found[node.name].add(path.relative_to(root).as_posix())
    return found


def test_no_new_helper_is_defined_twice():
    twice = {name: modules for name, modules in helper_definitions().items() if len(modules) > 1}
    new = {name: sorted(modules) for name, modules in twice.items() if modules != KNOWN_TWICE.get(name)}
    assert not new, ("a suite helper is defined in several modules: keep one and import it "
                     f"(or, if a copy was merged, update KNOWN_TWICE): {new}")
    merged = sorted(set(KNOWN_TWICE) - set(twice))
    assert not merged, f"these helpers are defined once now: take them out of KNOWN_TWICE: {merged}"


def test_the_sending_steps_have_one_home():
    definitions = helper_definitions()
    for name in ("open_window", "meta_sends", "text_of", "body_of"):
        assert definitions[name] == {"support_sending.py"}, (name, definitions[name])
    assert definitions["parse_time"] == {"support_connect.py"}


def test_the_check_finds_a_copy(tmp_path):
    for module in ("support_a.py", "test_b.py"):
        (tmp_path / module).write_text("def open_window(simulator, ch, recipient, req):\n    pass\n\n"
                                       "def test_x():\n    pass\n")
    assert helper_definitions(tmp_path) == {"open_window": {"support_a.py", "test_b.py"}}
