"""The automatic mutation audit: defects nobody wrote, made by cosmic-ray's operators (docs/self-test.md).

The hand-written catalogue (``tests/mutants/defects/``) proves the suites against defects the suites'
authors thought of. The audit proves them against defects a tool makes: cosmic-ray's core operators
(comparison, binary, unary and boolean operator replacements, ``not`` added, numbers shifted, ``break`` and
``continue`` swapped, ``for`` loops run zero times, exception handlers disabled, decorators removed) applied,
one at a time, to the behaviour-bearing modules of ``reference/``.

This module only *describes* mutants; :mod:`fiwano_conformance.selftest.audit_run` runs them on the lanes of the mutant
runner. Here:

* :func:`enumerate_mutants` lists every mutation point of the audited modules, with a **stable identity**
  (module, operator, a hash of the mutated line's text and the rank of the point among the points of that
  operator on lines of the same text): it survives edits elsewhere in the module, unlike cosmic-ray's
  occurrence number, which is kept beside it to apply the mutation;
* :func:`sample` draws N of them, seeded, so a run can be repeated;
* :func:`mutated_source` applies one in memory with cosmic-ray's own visitor (``mutate_code``): the forked
  reference of a lane executes that source as the module instead of the file, so nothing on disk changes
  and a lane's preloaded worker stays valid;
* :func:`load_triage` reads ``tests/mutants/audit-triage.yaml``: the mutants judged **equivalent** (no
  black-box test can tell them from the reference), each with its reason;
* :func:`suite_order` picks the suite modules a mutant runs against: those that execute its line (from the
  coverage map, :mod:`fiwano_conformance.selftest.audit_coverage`), the ones :data:`RELEVANT` names for its module first,
  then the fastest; the run stops at the first failure.
"""

from __future__ import annotations

import difflib
import hashlib
import random
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference"
SUITES = ROOT / "suites"
TRIAGE_FILE = ROOT / "tests" / "mutants" / "audit-triage.yaml"

# Not audited: the speed-ups (they repeat what FastAPI and httpx do, for CPU), the test harness API (what the
# suites drive, not what they judge), settings (command-line plumbing), the operator's account command
# (``reference admin``: how keys are prepared, not the API), the documented alternative readings (inactive in
# the audited reference, which keeps its own reading of each entry; tests/selftest/test_alternative_readings.py
# runs the suites against them) and the packages' docstrings.
EXCLUDED = frozenset({
    "reference/__init__.py", "reference/api/__init__.py", "reference/repos/__init__.py",
    "reference/speedups/__init__.py", "reference/speedups/dispatch.py", "reference/speedups/graph_client.py",
    "reference/speedups/http1.py", "reference/webhook_http.py", "reference/settings.py",
    "reference/api/harness.py", "reference/admin.py", "reference/readings.py",
})

# cosmic-ray's core operators, minus the two that need a cause/effect variable pair as configuration.
EXCLUDED_OPERATORS = frozenset({"core/VariableInserter", "core/VariableReplacer"})

# Which suite modules exercise each audited module: run first (then the rest of the suites).
RELEVANT: dict[str, tuple[str, ...]] = {
    "reference/app.py": ("test_channels", "test_send", "test_errors", "test_auth"),
    "reference/bodylimit.py": ("test_hostile_meta_input", "test_errors"),
    "reference/channel_service.py": ("test_channels", "test_channel_lifecycle", "test_subscriptions",
                                     "test_tier_gating", "test_isolation"),
    "reference/clock.py": ("test_windows", "test_tokens", "test_rate_limit"),
    "reference/crypto.py": ("test_inbound_relay", "test_relay_retries", "test_connect_flow", "test_tokens"),
    "reference/db.py": ("test_channels", "test_send", "test_statuses", "test_channel_lifecycle"),
    "reference/dispatcher.py": ("test_relay_retries", "test_inbound_relay", "test_statuses"),
    "reference/events.py": ("test_statuses", "test_channel_lifecycle", "test_inbound_relay"),
    "reference/inbound.py": ("test_inbound_relay", "test_inbound_types", "test_inbound_media", "test_statuses"),
    "reference/limits.py": ("test_text_limits", "test_send"),
    "reference/media.py": ("test_inbound_media", "test_send_media"),
    "reference/meta_client.py": ("test_send", "test_send_retries", "test_send_media", "test_templates",
                                 "test_profiles"),
    "reference/notifications.py": ("test_channel_lifecycle", "test_statuses", "test_tokens"),
    "reference/oauth.py": ("test_connect_flow", "test_tokens"),
    "reference/profiles.py": ("test_profiles",),
    "reference/ratelimit.py": ("test_rate_limit",),
    "reference/redirects.py": ("test_redirects", "test_connect_flow"),
    "reference/relay.py": ("test_inbound_relay", "test_relay_retries", "test_inbound_media"),
    "reference/sending.py": ("test_send", "test_send_retries", "test_windows", "test_send_media",
                             "test_template_send"),
    "reference/templates.py": ("test_templates", "test_template_send"),
    "reference/urls.py": ("test_send_media", "test_connect_flow", "test_redirects", "test_errors"),
    "reference/api/common.py": ("test_errors", "test_auth", "test_rate_limit"),
    "reference/api/connect.py": ("test_connect_flow", "test_redirects"),
    "reference/api/meta_webhook.py": ("test_inbound_relay", "test_hostile_meta_input", "test_statuses"),
    "reference/api/templates.py": ("test_templates", "test_template_send"),
    "reference/api/v1.py": ("test_send", "test_channels", "test_errors", "test_send_media", "test_profiles",
                            "test_text_limits"),
    "reference/api/v2026.py": ("test_v2026_openapi", "test_v2026_auth"),
    "reference/v2026.py": tuple(sorted(p.stem for p in (ROOT / "suites").glob("test_v2026_*.py"))),
    "reference/repos/accounts.py": ("test_auth", "test_isolation", "test_tier_gating", "test_subscriptions"),
    "reference/repos/channels.py": ("test_channels", "test_channel_lifecycle", "test_isolation"),
    "reference/repos/connect.py": ("test_connect_flow",),
    "reference/repos/deliveries.py": ("test_relay_retries", "test_inbound_relay"),
    "reference/repos/media_jobs.py": ("test_inbound_media",),
    "reference/repos/messages.py": ("test_statuses", "test_send", "test_windows"),
}


def audited_modules(root: Path = ROOT) -> list[str]:
    """Paths (relative to the checkout) of the reference modules the audit mutates."""
    paths = sorted(p.relative_to(root).as_posix() for p in (root / "reference").rglob("*.py"))
    return [p for p in paths if p not in EXCLUDED and "__pycache__" not in p]


def operator_names() -> list[str]:
    import cosmic_ray.plugins

    return sorted(n for n in cosmic_ray.plugins.operator_names()
                  if n.startswith("core/") and n not in EXCLUDED_OPERATORS)


@dataclass(frozen=True)
class AuditMutant:
    """One mutation point: ``operator`` applied at its ``occurrence``-th position in ``path``."""

    id: str
    path: str  # relative to the checkout, e.g. reference/limits.py
    operator: str
    occurrence: int  # cosmic-ray's occurrence index of this operator in the module (how it is applied)
    line: int
    line_text: str
    statement_line: int = 0  # first line of the statement the mutated node belongs to (coverage's line)

    @property
    def module(self) -> str:
        """Dotted module name (reference.limits)."""
        return self.path[:-3].replace("/", ".")

    @cached_property
    def mutated(self) -> str:
        return mutated_source(self)

    @property
    def diff(self) -> str:
        original = (ROOT / self.path).read_text(encoding="utf-8")
        lines = difflib.unified_diff(original.splitlines(), self.mutated.splitlines(), f"a/{self.path}",
                                     f"b/{self.path}", n=0, lineterm="")
        return "\n".join(list(lines)[2:])


def in_annotation(node) -> bool:
    """Whether a parso node lies inside a type annotation (of a parameter, a return value or a variable)."""
    while node.parent is not None:
        parent = node.parent
        siblings = parent.children
        if parent.type == "tfpdef" and node is not siblings[0]:
            return True
        if parent.type == "annassign" and len(siblings) > 1 and node is siblings[1]:
            return True
        if parent.type == "funcdef":
            index = siblings.index(node)
            return index > 0 and getattr(siblings[index - 1], "value", None) == "->"
        node = parent
    return False


def annotations_evaluated(path: str, source: str) -> bool:
    """Whether the module's annotations may be evaluated at run time: FastAPI reads those of its routes and
    dependencies (``reference/api/``), pydantic those of its models. Elsewhere ``from __future__ import
    annotations`` keeps them as strings nobody reads: a mutation inside one is equivalent by construction,
    so it is not enumerated."""
    return ("from __future__ import annotations" not in source or path.startswith("reference/api/")
            or "pydantic" in source)


STATEMENTS = {"simple_stmt", "if_stmt", "while_stmt", "for_stmt", "try_stmt", "with_stmt", "funcdef", "classdef",
              "decorated", "async_stmt", "async_funcdef"}


def statement_line(node) -> int:
    """First line of the innermost statement holding ``node``."""
    while node.parent is not None and node.type not in STATEMENTS:
        node = node.parent
    return node.start_pos[0]


def _line_hash(text: str) -> str:
    return hashlib.sha1(text.strip().encode()).hexdigest()[:10]


def enumerate_mutants(root: Path = ROOT, modules: list[str] | None = None,
                      operators: list[str] | None = None) -> list[AuditMutant]:
    """Every mutation point of the audited modules, sorted by identity. Mirrors ``cosmic-ray init``."""
    import cosmic_ray.plugins
    from cosmic_ray.ast import ast_nodes, get_ast

    mutants: list[AuditMutant] = []
    for path in modules or audited_modules(root):
        source = (root / path).read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = get_ast(source)
        keep_annotations = annotations_evaluated(path, source)
        for name in operators or operator_names():
            operator = cosmic_ray.plugins.get_operator(name)()
            seen: dict[str, int] = {}
            positions = ((node, start) for node in ast_nodes(tree)
                         for start, _end in operator.mutation_positions(node))
            for occurrence, (node, (line, _col)) in enumerate(positions):
                if not keep_annotations and in_annotation(node):
                    continue  # the occurrence still counts: cosmic-ray applies mutations by it
                text = lines[line - 1] if 0 < line <= len(lines) else ""
                digest = _line_hash(text)
                rank = seen.get(digest, 0)
                seen[digest] = rank + 1
                short = name.removeprefix("core/")
                mutants.append(AuditMutant(id=f"{path[:-3].replace('/', '.')}:{short}:{digest}:{rank}", path=path,
                                           operator=name, occurrence=occurrence, line=line,
                                           line_text=text.strip(), statement_line=statement_line(node)))
    return sorted(mutants, key=lambda m: m.id)


def sample(mutants: list[AuditMutant], size: int | None, seed: int) -> list[AuditMutant]:
    """``size`` mutants drawn with ``random.Random(seed)`` (all of them when ``size`` is None or too big)."""
    if size is None or size >= len(mutants):
        return list(mutants)
    return random.Random(seed).sample(mutants, size)


def mutated_source(mutant: AuditMutant, root: Path = ROOT) -> str:
    """The module's source with the one mutation applied, by cosmic-ray's own mutation visitor."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    operator = cosmic_ray.plugins.get_operator(mutant.operator)()
    code = mutate_code((root / mutant.path).read_text(encoding="utf-8"), operator, mutant.occurrence)
    if code is None:
        raise ValueError(f"{mutant.id}: cosmic-ray found no occurrence {mutant.occurrence} of {mutant.operator}")
    return code


def load_triage(path: Path = TRIAGE_FILE) -> dict[str, dict]:
    """``{mutant id: {"verdict": "equivalent", "reason": ...}}`` from the triage file (empty when absent)."""
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of mutant id to its triage")
    for mid, entry in data.items():
        if not isinstance(entry, dict) or entry.get("verdict") != "equivalent" or not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: {mid}: each entry needs verdict: equivalent and a non-empty reason")
    return data


def suite_modules(root: Path = ROOT) -> list[str]:
    return sorted(p.stem for p in (root / "suites").glob("test_*.py"))


def covering_tests(mutant: AuditMutant, lines: dict[int, list[str]]) -> list[str]:
    """Suite tests (node ids; ``""`` = the reference's start-up) that execute the mutated line, from a coverage
    map of its module (``line -> tests``).

    coverage.py records a multi-line statement on one of its lines, so the nearest recorded line between the
    statement's first line and the mutated one stands for it (erring towards running more tests)."""
    first = min(mutant.statement_line or mutant.line, mutant.line)
    found: list[str] = []
    for line in range(mutant.line, first - 1, -1):
        if line in lines:
            found = list(lines[line])
            break
    if found and all(test == "" or test.endswith("|") for test in found):  # "" / "P|": the start-up
        # run only while the reference starts (a decorator, a def line, a default): the tests that execute
        # the body of the definition it belongs to see what it changes (a removed @field_validator)
        for line in definition_body(mutant.path, mutant.line):
            found.extend(t for t in lines.get(line, ()) if t not in found)
    return found


def definition_body(path: str, line: int, root: Path | None = None) -> range:
    """The body lines of the function or class whose decorator or ``def``/``class`` line is ``line``
    (an empty range when the line is no such line)."""
    import ast

    try:
        tree = ast.parse(((root or ROOT) / path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return range(0)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            body_start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
            if any(d.lineno <= line <= (d.end_lineno or d.lineno) for d in node.decorator_list) \
                    or node.lineno <= line < body_start:
                return range(body_start, (node.end_lineno or node.body[-1].lineno) + 1)
    return range(0)


def _module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0].removeprefix("suites/").removesuffix(".py")


BROAD = ("test_channels", "test_send")  # the smoke set's modules: they fail on most defects of the start-up


def suite_order(mutant: AuditMutant, covering: list[str], seconds: dict[str, float] | None = None) -> list[str]:
    """What a mutant's pytest run is given: the suite tests that execute its line, those of the suite modules
    :data:`RELEVANT` names for its module first, then by module, fastest module first.

    A line the reference also runs while starting (``""`` among ``covering``: imports, definitions, constants,
    building the app) may change more than the tests that execute it later: its run starts with the whole
    suite modules :data:`RELEVANT` names for its module (a line run only at start-up: those and the broad
    ones), then the other tests that execute it. Running every suite module for each such mutant would cost
    minutes per survivor, most of them equivalent (see docs/self-test.md)."""
    seconds = seconds or {}
    relevant = RELEVANT.get(mutant.path, ())

    def rank(module: str) -> tuple:
        return (relevant.index(module) if module in relevant else len(relevant), seconds.get(module, 1e9), module)

    tests = [t for t in covering if t]
    if len(tests) < len(covering):
        whole = [m for m in relevant if m in suite_modules()] + ([] if tests else [m for m in BROAD if m not in relevant])
        rest = sorted((t for t in tests if _module_of(t) not in whole),
                      key=lambda node: (rank(_module_of(node)), tests.index(node)))
        return [f"suites/{m}.py" for m in whole] + rest
    return sorted(tests, key=lambda node: (rank(_module_of(node)), tests.index(node)))
