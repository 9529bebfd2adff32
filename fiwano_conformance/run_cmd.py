"""``fiwano-conformance run``: the main job.

Runs the conformance suites with pytest in a child process (against the embedded pair unless a target is
given) with the results collector loaded (``-p reports.collector``), so that every run writes, by default,
into the results directory (``--results``, default ``fiwano-results``):

* ``results.json`` (validates against reports/results_schema.json), ``report.html`` (self-contained),
  ``junit.xml`` (one case per test with the kit's status) and ``repro/`` (one replay bundle per failed test);

then prints the verdict, the counts (the same in all four outputs), the score per level and where each
output is (docs/reports.md). The verdict is the collector's (known failures and SHOULD-only failures taken
into account; ``partial`` when the run selected or filtered tests).

The child pytest is isolated from where it is started: the kit's own ini (``-c run-pytest.ini``: the
user's pytest.ini/pyproject.toml/tox.ini/setup.cfg and ``PYTEST_ADDOPTS`` are ignored, the per-test timeout
always applies), the kit's root as rootdir and conftest boundary, ``-P`` (the working directory is not on
``sys.path``) and the kit's own packages first on ``PYTHONPATH`` (a user package named ``reports`` or
``suites`` cannot shadow them). SIGTERM/SIGINT stop pytest, its workers and the embedded servers
(fiwano_conformance/children.py).

Exit codes (as CI consumers of conformance suites expect): 0 conformant, or partial (every selected test
passed, but not the whole suites were judged); 1 non-conformant; 2 configuration or harness error, or the
run was interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from fiwano_conformance import children
from fiwano_conformance.shared.results import ERROR, FAIL, NOT_CLAIMED, PASS, SKIP, XFAIL

ACCEPTS_EXTRA_ARGS = True  # anything not known here goes to pytest, e.g. -k, -x, -n 2

EXIT_CONFORMANT, EXIT_NON_CONFORMANT, EXIT_ERROR = 0, 1, 2

KIT_ROOT = Path(__file__).resolve().parents[1]  # the directory holding fiwano_conformance/, suites/, reports/...
RUN_INI = Path(__file__).resolve().parent / "run-pytest.ini"
IGNORED_ENV = ("PYTEST_ADDOPTS",)  # pytest configuration from the environment, ignored like the ini files
NODE_ID = re.compile(r"^suites[/.][\w/.]*?(\.py)?(::.*)?$")  # a suite test or module given on the command line

# run option -> pytest plugin option
FORWARDED = {
    "target": "--fiwano-target",
    "simulator": "--fiwano-simulator",
    "harness": "--fiwano-harness",
    "config": "--fiwano-config",
    "level": "--fiwano-level",
    "profile": "--fiwano-profile",
    "sink_ca_dir": "--fiwano-sink-ca-dir",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", help="base URL of the Fiwano implementation (default: start the embedded reference)")
    parser.add_argument("--simulator", help="base URL of a running simulator (default: the embedded one)")
    parser.add_argument("--harness", help="base URL of the target's harness API, if it offers one")
    parser.add_argument("--config", help="YAML file with the run's configuration")
    parser.add_argument("--level", choices=["api", "simulated", "controlled"], help="what the target claims")
    parser.add_argument("--profile", help="profile name or YAML path (default: default)")
    parser.add_argument("--results", default="fiwano-results",
                        help="directory for results.json, report.html, junit.xml and repro/ (default fiwano-results)")
    parser.add_argument("--known-failures", metavar="FILE",
                        help="YAML baseline of known failures: reported as xfail; an entry that passes is a failure")
    parser.add_argument("--sink-ca-dir", metavar="DIR",
                        help="kit CA directory the target trusts (default: the one every run reuses; "
                             "`fiwano-conformance ca path`)")
    parser.add_argument("--skip-doctor", action="store_true",
                        help="do not check the setup first (`fiwano-conformance doctor`; for experts)")
    parser.add_argument("--req", action="append", default=[], metavar="ID|PREFIX",
                        help="only the tests of these requirements: an id (SEND-TEXT-LENGTH) or a prefix (SEND-); "
                             "comma-separated or repeated; verdict partial")
    parser.add_argument("--area", action="append", default=[], metavar="AREA",
                        help="only the tests of an area: an id prefix (relay, send, tpl...) or a word of the docs "
                             "section (templates, webhooks...); verdict partial")
    parser.add_argument("--last-failed", action="store_true",
                        help="only the tests that failed or errored in the previous results.json of --results")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print the summary (no progress line)")


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped


def count_junit(path: Path) -> Counts:
    counts = Counts()
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        outcome = {child.tag for child in case}
        if "failure" in outcome:
            counts.failed += 1
        elif "error" in outcome:
            counts.errors += 1
        elif "skipped" in outcome:
            counts.skipped += 1
        else:
            counts.passed += 1
    return counts


# ------------------------------------------------------------------------------------------ the command


def node_ids(extra: list[str]) -> list[str]:
    """The suite tests or modules named among the extra arguments (``suites/test_auth.py::test_x``)."""
    return [arg for arg in extra if not arg.startswith("-") and NODE_ID.match(arg)]


def _kit_path(node_id: str) -> str:
    """A node id as pytest must be given it: relative to the kit, wherever the command runs."""
    path, sep, rest = node_id.partition("::")
    if not path.endswith(".py"):
        path = path.replace(".", "/") + ".py" if "/" not in path else path
    return str(KIT_ROOT / path) + sep + rest


def selection_reasons(args: argparse.Namespace) -> list[str]:
    """Why this run judges only part of the suites (each makes the verdict partial)."""
    reasons = [f"--req {value}" for value in getattr(args, "req", [])]
    reasons += [f"--area {value}" for value in getattr(args, "area", [])]
    if getattr(args, "last_failed_file", None):
        reasons.append("--last-failed")
    ids = node_ids(list(getattr(args, "extra", [])))
    if ids:
        reasons.append("tests named: " + " ".join(ids))
    return reasons


def pytest_command(args: argparse.Namespace, results: Path) -> list[str]:
    extra = list(getattr(args, "extra", []))
    named = node_ids(extra)
    # the suites by path, not --pyargs: with no path argument that exists, pytest would load the conftest.py
    # of the working directory; named tests come last, with the extra arguments
    targets = [] if named else [str(KIT_ROOT / "suites")]
    command = [sys.executable, "-P", "-m", "pytest", "-c", str(RUN_INI), f"--rootdir={KIT_ROOT}",
               f"--confcutdir={KIT_ROOT / 'suites'}", *targets, "-p", "no:cacheprovider",
               "-p", "reports.collector", f"--fiwano-results={results}",
               f"--fiwano-progress={'off' if args.quiet else 'line'}"]
    if getattr(args, "known_failures", None):
        command.append(f"--fiwano-known-failures={Path(args.known_failures).resolve()}")
    for name, option in FORWARDED.items():
        value = getattr(args, name, None)
        if value:
            command.append(f"{option}={value}")
    selecting = getattr(args, "req", None) or getattr(args, "area", None) or getattr(args, "last_failed_file", None)
    if selecting:
        command += ["-p", "fiwano_conformance.selection"]
        command += [f"--fiwano-select-req={value}" for value in getattr(args, "req", [])]
        command += [f"--fiwano-select-area={value}" for value in getattr(args, "area", [])]
        if getattr(args, "last_failed_file", None):
            command.append(f"--fiwano-select-tests={args.last_failed_file}")
    command += [f"--fiwano-partial={reason}" for reason in selection_reasons(args)]
    if args.quiet:
        command.append("-q")
    command.append("--fiwano-skip-doctor")  # run() checked the setup already (or was told not to)
    return command + [_kit_path(arg) if arg in named else arg for arg in extra]


def child_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: the kit's own packages first on the path, no pytest options from outside."""
    env = dict(os.environ if environ is None else environ)
    for name in IGNORED_ENV:
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(KIT_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env["PYTHONSAFEPATH"] = "1"
    return env


# ------------------------------------------------------------------------------------------ verdicts


def verdict(returncode: int, counts: Counts) -> int:
    if returncode == 0 and counts.failed == 0 and counts.errors == 0:
        return EXIT_CONFORMANT
    if returncode == 1:
        return EXIT_NON_CONFORMANT
    return EXIT_ERROR


VERDICT_EXIT = {"conformant": EXIT_CONFORMANT, "partial": EXIT_CONFORMANT, "not-conformant": EXIT_NON_CONFORMANT}
VERDICT_LABEL = {"conformant": "CONFORMANT", "partial": "PARTIAL", "not-conformant": "NOT CONFORMANT"}


def final_exit(returncode: int, counts: Counts, results_verdict: str | None) -> int:
    """The exit code: pytest's own problems (usage, internal, interrupted) always win, then the verdict."""
    if returncode not in (0, 1) or results_verdict is None:
        return verdict(returncode, counts)
    return VERDICT_EXIT.get(results_verdict, EXIT_ERROR)


def _read_results(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def counts_line(data: dict, elapsed: float) -> str:
    """The kit's counts, as results.json, junit.xml and report.html have them."""
    c = data["counts"]
    total = sum(c.values())
    return (f"Tests: {c[PASS]} passed, {c[FAIL]} failed, {c[ERROR]} errors, {c[NOT_CLAIMED]} not-claimed, "
            f"{c[XFAIL]} xfail, {c[SKIP]} skipped ({total} in all, {elapsed:.1f} s)")


def requirements_line(data: dict) -> str:
    """How many of the catalogue's requirements the run judged (per catalogue level) and how many it did not
    claim: the reach of a run, e.g. of a target without a harness."""
    requirements = data.get("requirements", [])
    judged = [r for r in requirements if r.get("status") in (PASS, FAIL, ERROR, XFAIL)]
    per_level = ", ".join(f"{s['level']} {s['judged']}" for s in data.get("scores", []))
    passed = sum(r.get("status") == PASS for r in judged)
    not_claimed = sum(r.get("status") == NOT_CLAIMED for r in requirements)
    return (f"Requirements: {len(judged)} of {len(requirements)} judged ({per_level}), {passed} passing; "
            f"{not_claimed} not-claimed")


def real_time_line(data: dict) -> str | None:
    """How long the tests that ran in real time (``--fiwano-real-time``) waited, in all and the longest; None
    when none did. Per test: ``real_time_seconds`` in results.json."""
    waits = sorted(((t["real_time_seconds"], t["nodeid"]) for t in data.get("tests", [])
                    if t.get("real_time_seconds") is not None), reverse=True)
    if not waits:
        return None
    longest, nodeid = waits[0]
    return (f"Real time: {len(waits)} tests waited {sum(w for w, _ in waits):.0f} s in all "
            f"(longest {longest:.0f} s: {nodeid})")


def summary_lines(results: Path, data: dict | None) -> list[str]:
    """Where each output is, and the score per level."""
    lines = []
    if data:
        scores = [f"{s['level']} {s['score']} % ({s['passed']}/{s['judged']})" if s.get("score") is not None
                  else f"{s['level']} not judged" for s in data.get("scores", [])]
        lines.append("Scores: " + ", ".join(scores))
        lines.append(requirements_line(data))
        waited = real_time_line(data)
        if waited:
            lines.append(waited)
        if data.get("stale_known_failures"):
            lines.append(f"Stale known failures: {len(data['stale_known_failures'])} (see the report)")
    lines.append(f"Results: {results}")
    for name, what in (("report.html", "HTML report"), ("results.json", "machine-readable results"),
                       ("junit.xml", "JUnit XML"), ("repro", "reproduction bundles")):
        path = results / name
        if path.exists():
            extra = f" ({sum(1 for p in path.iterdir() if p.is_dir())} failed test(s))" if path.is_dir() else ""
            lines.append(f"  {what + ':':<26}{path}{extra}")
    return lines


def verdict_lines(data: dict | None) -> list[str]:
    """The verdict, and for a partial run or a configuration problem the one line that says why."""
    if not data:
        return []
    profile = (data.get("versions") or {}).get("profile") or {}
    lineage = profile.get("lineage") or []
    named = f" (profile {profile['name']}" + (f", extends {' > '.join(reversed(lineage[:-1]))}" if len(lineage) > 1
                                              else "") + ")" if profile.get("name") else ""
    lines = [f"Verdict: {VERDICT_LABEL.get(data.get('verdict'), 'ERROR')}{named}"]
    reasons = (data.get("selection") or {}).get("reasons") or []
    if reasons:
        lines.append("  only part of the suites was judged: " + "; ".join(reasons))
    problem = data.get("problem")
    if problem:
        lines.append(f"  configuration problem? {problem['tests']} of {problem['of']} tests broke the same way: "
                     f"{problem['message']}")
    return lines


# ------------------------------------------------------------------------------------------ the run


def last_failed(results: Path) -> list[str] | None:
    """Stable ids of the tests that failed or errored in ``results``/results.json (None: no such file)."""
    data = _read_results(results / "results.json")
    if data is None:
        return None
    return [t["nodeid"] for t in data.get("tests", []) if t.get("status") in ("fail", "error")]


def prepare_selection(args: argparse.Namespace, results: Path) -> str | None:
    """Check --req/--area/--last-failed before anything runs; the one-line problem, or None."""
    if args.req or args.area:
        from contract import load_requirements
        from fiwano_conformance.selection import SelectionError, requirements_for

        try:
            requirements_for(args.req, args.area, load_requirements())
        except SelectionError as exc:
            return str(exc)
    args.last_failed_file = None
    if args.last_failed:
        failed = last_failed(results)
        if failed is None:
            return f"--last-failed: no previous results.json in {results} (run once without it first)"
        if not failed:
            print(f"--last-failed: nothing failed in {results / 'results.json'}; running every selected test")
        else:
            selection = results / "last-failed.txt"
            selection.write_text("\n".join(failed) + "\n", encoding="utf-8")
            args.last_failed_file = str(selection)
    return None


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "skip_doctor", False):  # a configuration mistake: one line and exit 2, no test run
        from fiwano_conformance.doctor import preflight

        if preflight(args, list(getattr(args, "extra", []))) != EXIT_CONFORMANT:
            return EXIT_ERROR
    results = Path(args.results).resolve()
    results.mkdir(parents=True, exist_ok=True)
    args.extra = list(getattr(args, "extra", []))
    for name in ("req", "area"):
        setattr(args, name, list(getattr(args, name, None) or []))
    args.last_failed = bool(getattr(args, "last_failed", False))
    problem = prepare_selection(args, results)
    if problem:
        print(f"fiwano-conformance run: {problem}", file=sys.stderr)
        return EXIT_ERROR
    for stale in ("results.json", "report.html", "junit.xml"):  # never report an earlier run's files
        (results / stale).unlink(missing_ok=True)
    ignored = [name for name in IGNORED_ENV if os.environ.get(name)]
    if ignored:
        print(f"fiwano-conformance run: ignoring {', '.join(ignored)} (the kit's own pytest settings apply; "
              "pass pytest options to `run` directly)", file=sys.stderr)
    return run_pytest(args, results)


def run_pytest(args: argparse.Namespace, results: Path) -> int:
    """The suites in a child pytest; then the verdict and the counts from results.json."""
    started = time.monotonic()
    try:
        returncode = children.run_supervised(pytest_command(args, results), env=child_environment())
    except children.Interrupted as exc:
        print(f"fiwano-conformance run: interrupted by {exc}; no verdict", file=sys.stderr)
        return EXIT_ERROR
    elapsed = time.monotonic() - started
    data = _read_results(results / "results.json")
    if data is None:
        print(f"fiwano-conformance: the suites did not run (pytest exit {returncode}); see the output above",
              file=sys.stderr)
        return EXIT_ERROR
    code = final_exit(returncode, Counts(), data.get("verdict"))
    print()
    for line in verdict_lines(data):
        print(line)
    print(counts_line(data, elapsed))
    for line in summary_lines(results, data):
        print(line)
    return code
