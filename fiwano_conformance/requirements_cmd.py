"""`fiwano-conformance requirements [--coverage]`: the requirement catalogue and the tests that check it.

The suites are scanned statically (ast, never imported) for ``pytest.mark.req("ID", ...)`` in
decorators, ``pytestmark`` assignments and ``pytest.param(..., marks=...)``. Output: every requirement
with its strength, level, channels and the tests that reference it. ``--coverage`` adds a summary
and exits 1 when a requirement has no test and is not in contract/pending.yaml, when a pending id
has a test (take it off the list) or is unknown, or when a suite names an unknown id. ``--trace`` shows
the trace files of contract/trace/ instead (an external case catalogue -> requirement ids -> tests, with
the gaps no test covers) and exits 1 when a listed requirement or test does not exist or a listed test
names none of its case's requirements.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

import contract

_CHANNEL_SHORT = {"whatsapp": "wa", "instagram": "ig", "facebook": "fb"}
TRACE_DIR = contract.CONTRACT_DIR / "trace"


# ---------------------------------------------------------------- scanning


@dataclass
class ScanResult:
    """Requirement id -> test node ids ("suites/test_x.py::test_y" or "...::Class::test_y")."""

    tests_by_req: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


def default_suites_dir() -> Path:
    spec = importlib.util.find_spec("suites")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return contract.CONTRACT_DIR.parent / "suites"


def _is_req_call(node: ast.AST) -> bool:
    """pytest.mark.req(...), mark.req(...) or <anything>.mark.req(...)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or node.func.attr != "req":
        return False
    owner = node.func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "mark") or (
        isinstance(owner, ast.Name) and owner.id == "mark"
    )


def _module_constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level NAME = "ID" / ("ID", ...) / ["ID", ...] assignments, for req(NAME) and req(*NAMES)."""
    constants: dict[str, list[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        strings: list[str] | None = None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            strings = [value.value]
        elif isinstance(value, (ast.Tuple, ast.List)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
        ):
            strings = [e.value for e in value.elts]  # type: ignore[attr-defined]
        if strings is not None:
            for target in targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = strings
    return constants


def _req_ids(node: ast.AST, where: str, errors: list[str], constants: dict[str, list[str]] | None = None) -> list[str]:
    """Every requirement id in the req(...) calls found anywhere inside node."""
    constants = constants or {}
    ids: list[str] = []
    for call in ast.walk(node):
        if _is_req_call(call):
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    ids.append(arg.value)
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    ids.extend(constants[arg.id])
                elif isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name) and arg.value.id in constants:
                    ids.extend(constants[arg.value.id])
                else:
                    errors.append(
                        f"{where}: line {call.lineno}: req() argument is neither a string literal nor a "
                        "module-level string constant"
                    )
    return ids


def _is_test_function(node: ast.AST) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")


def _scan_module(path: Path, rel: str, result: ScanResult) -> None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        result.errors.append(f"{rel}: cannot parse: {exc}")
        return
    constants = _module_constants(tree)
    module_ids: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets):
            module_ids += _req_ids(stmt.value, rel, result.errors, constants)

    def visit(body: Iterable[ast.stmt], prefix: str, inherited: list[str]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
                class_ids = list(inherited)
                for deco in stmt.decorator_list:
                    class_ids += _req_ids(deco, rel, result.errors, constants)
                for inner in stmt.body:
                    if isinstance(inner, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "pytestmark" for t in inner.targets
                    ):
                        class_ids += _req_ids(inner.value, rel, result.errors, constants)
                visit(stmt.body, f"{prefix}{stmt.name}::", class_ids)
            elif _is_test_function(stmt):
                ids = list(inherited)
                for deco in stmt.decorator_list:  # includes parametrize(..., pytest.param(marks=req(...)))
                    ids += _req_ids(deco, rel, result.errors, constants)
                node_id = f"{rel}::{prefix}{stmt.name}"
                for rid in dict.fromkeys(ids):
                    result.tests_by_req[rid].append(node_id)

    visit(tree.body, "", module_ids)


def scan_suites(suites_dir: Path | None = None) -> ScanResult:
    """Scan the suites' test modules (test_*.py, *_test.py) for requirement markers, without importing them."""
    root = Path(suites_dir) if suites_dir else default_suites_dir()
    result = ScanResult()
    if not root.is_dir():
        result.errors.append(f"no suites directory at {root}")
        return result
    files = sorted({*root.rglob("test_*.py"), *root.rglob("*_test.py")})
    for path in files:
        if "__pycache__" in path.parts:
            continue
        rel = f"{root.name}/{path.relative_to(root).as_posix()}"
        _scan_module(path, rel, result)
    return result


# ---------------------------------------------------------------- coverage


@dataclass
class Coverage:
    requirements: dict[str, dict[str, Any]]
    tests_by_req: dict[str, list[str]]
    pending: list[str]
    untested: list[str]  # no test and not pending: a failure
    pending_with_tests: list[str]  # pending but tested: take it off the list
    pending_unknown: list[str]  # pending ids not in the catalogue
    pending_duplicates: list[str]
    unknown_in_suites: dict[str, list[str]]  # ids the suites name that the catalogue lacks
    scan_errors: list[str]

    @property
    def ok(self) -> bool:
        return not (
            self.untested
            or self.pending_with_tests
            or self.pending_unknown
            or self.pending_duplicates
            or self.unknown_in_suites
            or self.scan_errors
        )

    def problems(self) -> list[str]:
        out = []
        if self.untested:
            out.append(
                "requirements without a test and not in contract/pending.yaml: " + ", ".join(self.untested)
            )
        if self.pending_with_tests:
            out.append(
                "pending requirements that now have a test (remove them from contract/pending.yaml): "
                + ", ".join(self.pending_with_tests)
            )
        if self.pending_unknown:
            out.append("unknown ids in contract/pending.yaml: " + ", ".join(self.pending_unknown))
        if self.pending_duplicates:
            out.append("ids listed twice in contract/pending.yaml: " + ", ".join(self.pending_duplicates))
        for rid, tests in sorted(self.unknown_in_suites.items()):
            out.append(f"suites name the unknown requirement {rid!r}: {', '.join(tests)}")
        out.extend(self.scan_errors)
        return out


def compute_coverage(
    suites_dir: Path | None = None,
    *,
    requirements: dict[str, dict[str, Any]] | None = None,
    pending: list[str] | None = None,
) -> Coverage:
    """Coverage of the catalogue by the suites (arguments default to the installed contract and suites)."""
    requirements = contract.load_requirements() if requirements is None else requirements
    scan = scan_suites(suites_dir)
    pending = contract.load_pending() if pending is None else pending
    pending_set = set(pending)
    tested = {rid for rid, tests in scan.tests_by_req.items() if tests}
    return Coverage(
        requirements=requirements,
        tests_by_req={rid: list(tests) for rid, tests in scan.tests_by_req.items()},
        pending=pending,
        untested=[rid for rid in requirements if rid not in tested and rid not in pending_set],
        pending_with_tests=[rid for rid in pending if rid in tested and rid in requirements],
        pending_unknown=[rid for rid in pending if rid not in requirements],
        pending_duplicates=sorted({rid for rid in pending if pending.count(rid) > 1}),
        unknown_in_suites={rid: tests for rid, tests in scan.tests_by_req.items() if rid not in requirements},
        scan_errors=scan.errors,
    )


# ---------------------------------------------------------------- traces


def load_traces(trace_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """The trace files of contract/trace/ ({source, cases: [{case, area, text, requirements, tests, gap?}]}) by name."""
    root = Path(trace_dir) if trace_dir else TRACE_DIR
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(root.glob("*.yaml"))}


def trace_problems(cases: list[dict[str, Any]], requirements: dict[str, Any],
                   tests_by_req: dict[str, list[str]]) -> list[str]:
    """Unknown requirement ids, tests missing from the suites or naming none of the case's ids, cases with no test
    and no gap."""
    known_tests = {test for tests in tests_by_req.values() for test in tests}
    problems = []
    for case in cases:
        cid, reqs = case.get("case"), case.get("requirements") or []
        problems += [f"{cid}: unknown requirement {rid}" for rid in reqs if rid not in requirements]
        for test in case.get("tests") or []:
            if test not in known_tests:
                problems.append(f"{cid}: no test {test} in the suites")
            elif not any(test in tests_by_req.get(rid, []) for rid in reqs):
                problems.append(f"{cid}: {test} names none of {', '.join(reqs)}")
        if not case.get("tests") and not case.get("gap"):
            problems.append(f"{cid}: no test and no gap")
    return problems


def run_trace(args: argparse.Namespace) -> int:
    scan = scan_suites(getattr(args, "suites", None))
    requirements = contract.load_requirements()
    wanted = list(getattr(args, "ids", []) or [])
    traces = []
    for name, trace in load_traces().items():
        cases = trace.get("cases") or []
        traces.append({
            "file": f"contract/trace/{name}.yaml",
            "source": trace.get("source"),
            "summary": {"cases": len(cases), "with_tests": sum(1 for c in cases if c.get("tests")),
                        "without_tests": sum(1 for c in cases if not c.get("tests")),
                        "with_gap": sum(1 for c in cases if c.get("gap"))},
            "problems": trace_problems(cases, requirements, scan.tests_by_req),
            # ids select cases by case id or by requirement id (prefixes ending in '-' too)
            "cases": [c for c in cases if not wanted or _selected(wanted, [c["case"], *(c.get("requirements") or [])])],
        })
    out = sys.stdout
    if getattr(args, "json", False):
        json.dump({"traces": traces}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for trace in traces:
            out.write(f"{trace['file']}  (cases of {trace['source']})\n")
            for case in trace["cases"]:
                tests = case.get("tests") or []
                state = "NO TEST" if not tests else f"{len(tests)} test(s)" + (", partial" if case.get("gap") else "")
                out.write(f"{case['case']}  {state}  [{case.get('area')}]\n    {case.get('text')}\n")
                out.write(f"    requirements: {', '.join(case.get('requirements') or []) or '-'}\n")
                for test in tests:
                    out.write(f"    - {test}\n")
                if case.get("gap"):
                    out.write(f"    gap: {case['gap']}\n")
            summary = trace["summary"]
            out.write(f"\n{trace['file']}: {summary['cases']} cases, {summary['with_tests']} with tests, "
                      f"{summary['without_tests']} without, {summary['with_gap']} with a gap\n")
            for problem in trace["problems"]:
                out.write(f"  PROBLEM: {problem}\n")
    return 1 if any(trace["problems"] for trace in traces) else 0


# ---------------------------------------------------------------- command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List the requirements of contract/requirements.yaml and the suite tests that reference them "
        "(found statically in suites/ via @pytest.mark.req)."
    )
    parser.add_argument(
        "ids", nargs="*", metavar="ID", help="only these requirement ids, or id prefixes ending in '-' (e.g. SEND-)"
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="print a coverage summary; exit 1 if a requirement has no test and is not pending, "
        "a pending id has a test or is unknown, or a suite names an unknown id",
    )
    parser.add_argument("--untested", action="store_true", help="only requirements without a test")
    parser.add_argument(
        "--prune-pending",
        action="store_true",
        help="remove from contract/pending.yaml the ids that now have a test (never adds any), then report",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="show the trace files of contract/trace/ (case -> requirements -> tests, and gaps) instead; ID "
        "selects cases by case or requirement id; exit 1 if a listed requirement or test is unknown or a test "
        "names none of its case's requirements",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="only the requirements a run under this profile judges (its own and its parents'; "
        "contract/profiles/NAME.yaml); the coverage summary counts per profile either way",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--suites", type=Path, default=None, help="suites directory to scan (default: the installed suites/)")


def _selected(ids: list[str], requirement_ids: Iterable[str]) -> list[str]:
    if not ids:
        return list(requirement_ids)
    out = []
    for rid in requirement_ids:
        if any(rid == want or (want.endswith("-") and rid.startswith(want)) for want in ids):
            out.append(rid)
    return out


def prune_pending(tested: set[str], path: Path | None = None) -> list[str]:
    """Drop tested ids from the pending file, keeping its comments and order; return the dropped ids."""
    path = path or contract.PENDING_FILE
    kept, dropped = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("- ") and stripped[2:].strip().strip("'\"") in tested:
            dropped.append(stripped[2:].strip().strip("'\""))
            continue
        kept.append(line)
    if dropped:
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return dropped


def run(args: argparse.Namespace) -> int:
    if getattr(args, "prune_pending", False):
        scan = scan_suites(getattr(args, "suites", None))
        dropped = prune_pending({rid for rid, tests in scan.tests_by_req.items() if tests})
        print(f"removed from {contract.PENDING_FILE.name}: {', '.join(dropped) if dropped else 'nothing'}",
              file=sys.stderr)
    if getattr(args, "trace", False):
        return run_trace(args)
    cov = compute_coverage(getattr(args, "suites", None))
    selected = _selected(list(getattr(args, "ids", []) or []), cov.requirements)
    if getattr(args, "profile", None):
        try:
            lineage = contract.profile_lineage(args.profile)
        except (FileNotFoundError, ValueError) as exc:
            print(f"fiwano-conformance requirements: {exc}", file=sys.stderr)
            return 2
        selected = [rid for rid in selected if contract.requirement_in_profile(cov.requirements[rid], lineage)]
    pending = set(cov.pending)
    if getattr(args, "untested", False):
        selected = [rid for rid in selected if not cov.tests_by_req.get(rid)]
    out = sys.stdout
    if getattr(args, "json", False):
        document: dict[str, Any] = {
            "requirements": [
                {
                    **{k: cov.requirements[rid].get(k) for k in ("id", "strength", "level", "channels", "section", "text")},
                    "profile": contract.requirement_profile(cov.requirements[rid]),
                    "retired_in": cov.requirements[rid].get("retired_in"),
                    "readings": [r["id"] for r in cov.requirements[rid].get("readings", [])],
                    "pending": rid in pending,
                    "tests": cov.tests_by_req.get(rid, []),
                }
                for rid in selected
            ]
        }
        if getattr(args, "coverage", False):
            document["coverage"] = _summary(cov) | {"ok": cov.ok, "problems": cov.problems()}
        json.dump(document, out, indent=2)
        out.write("\n")
    else:
        for rid in selected:
            entry = cov.requirements[rid]
            tests = cov.tests_by_req.get(rid, [])
            channels = ",".join(_CHANNEL_SHORT.get(c, c) for c in entry.get("channels", []))
            state = f"{len(tests)} test(s)" if tests else ("pending" if rid in pending else "NO TEST")
            readings = " readings=" + "|".join(r["id"] for r in entry["readings"]) if entry.get("readings") else ""
            introduced = contract.requirement_profile(entry)
            profile = "" if introduced == "default" else f" profile={introduced}"
            profile += f" retired-in={entry['retired_in']}" if entry.get("retired_in") else ""
            out.write(f"{rid}  {entry['strength']} {entry['level']} [{channels}]  {state}{readings}{profile}\n")
            out.write(f"    {entry['text']}\n    docs: {entry['section']}\n")
            for test in tests:
                out.write(f"    - {test}\n")
        if getattr(args, "coverage", False):
            summary = _summary(cov)
            out.write("\ncoverage:\n")
            for key, value in summary.items():
                out.write(f"  {key}: {value}\n")
            for problem in cov.problems():
                out.write(f"  PROBLEM: {problem}\n")
            out.write("  OK\n" if cov.ok else "  FAILED\n")
    if getattr(args, "coverage", False) and not cov.ok:
        return 1
    return 0


def _summary(cov: Coverage) -> dict[str, Any]:
    reqs = cov.requirements.values()
    tested = [rid for rid in cov.requirements if cov.tests_by_req.get(rid)]
    by_level: dict[str, int] = defaultdict(int)
    by_strength: dict[str, int] = defaultdict(int)
    for entry in reqs:
        by_level[entry["level"]] += 1
        by_strength[entry["strength"]] += 1
    return {
        "requirements": len(cov.requirements),
        "by_strength": dict(by_strength),
        "by_level": dict(by_level),
        "with_tests": len(tested),
        "pending": len(cov.pending),
        "untested_not_pending": len(cov.untested),
        "tests_scanned": len({t for tests in cov.tests_by_req.values() for t in tests}),
        "by_profile": _by_profile(cov),
    }


def _by_profile(cov: Coverage) -> dict[str, dict[str, int]]:
    """Per profile of contract/profiles/: how many requirements a run under it judges, and how many have a test."""
    reqs_of_test: dict[str, set[str]] = defaultdict(set)
    for rid, tests in cov.tests_by_req.items():
        for test in tests:
            reqs_of_test[test].add(rid)
    out = {}
    for name in contract.profile_names():
        try:
            lineage = contract.profile_lineage(name)
        except (FileNotFoundError, ValueError):
            continue
        judged = {rid for rid, entry in cov.requirements.items() if contract.requirement_in_profile(entry, lineage)}
        # a test runs under the profile only when every requirement it names belongs to it (suites/plugin.py)
        running = {test for test, rids in reqs_of_test.items() if rids <= judged}
        tested = {rid for rid in judged if any(test in running for test in cov.tests_by_req.get(rid, []))}
        own = [rid for rid in judged if contract.requirement_profile(cov.requirements[rid]) == name]
        out[name] = {"requirements": len(judged), "with_tests": len(tested),
                     "without_tests": sorted(judged - tested),
                     "introduced": len(own), "introduced_with_tests": sum(1 for rid in own if rid in tested)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fiwano-conformance requirements")
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
