"""``fiwano-conformance run``: the main job.

Runs the conformance suites with pytest in a child process (against the embedded pair unless a target is
given) with the results collector loaded (``-p reports.collector``), so that every run writes, by default,
into the results directory (``--results``, default ``fiwano-results``):

* ``results.json`` (validates against reports/results_schema.json), ``report.html`` (self-contained),
  ``junit.xml`` (enriched with the kit's statuses) and ``repro/`` (one replay bundle per failed test);

then prints the verdict, the counts, the score per level and where each output is (docs/reports.md).
The verdict is the collector's (known failures and SHOULD-only failures taken into account); the
junit counts are the fallback when the collector wrote nothing.

Exit codes (as CI consumers of conformance suites expect): 0 conformant, 1 non-conformant,
2 configuration or harness error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ACCEPTS_EXTRA_ARGS = True  # anything not known here goes to pytest, e.g. -k, -x, -n 2

EXIT_CONFORMANT, EXIT_NON_CONFORMANT, EXIT_ERROR = 0, 1, 2

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
    parser.add_argument("-q", "--quiet", action="store_true", help="only print the summary")


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


def pytest_command(args: argparse.Namespace, results: Path) -> list[str]:
    command = [sys.executable, "-m", "pytest", "--pyargs", "suites", "-p", "no:cacheprovider",
               f"--junitxml={results / 'junit.xml'}", "-o", "junit_family=xunit2",
               "-p", "reports.collector", f"--fiwano-results={results}"]
    if getattr(args, "known_failures", None):
        command.append(f"--fiwano-known-failures={Path(args.known_failures).resolve()}")
    for name, option in FORWARDED.items():
        value = getattr(args, name, None)
        if value:
            command.append(f"{option}={value}")
    if args.quiet:
        command.append("-q")
    command.append("--fiwano-skip-doctor")  # run() checked the setup already (or was told not to)
    return command + list(getattr(args, "extra", []))


def verdict(returncode: int, counts: Counts) -> int:
    if returncode == 0 and counts.failed == 0 and counts.errors == 0:
        return EXIT_CONFORMANT
    if returncode == 1:
        return EXIT_NON_CONFORMANT
    return EXIT_ERROR


def final_exit(returncode: int, counts: Counts, results_verdict: str | None) -> int:
    """The exit code: pytest's own problems (usage, internal, interrupted) always win, then the verdict."""
    if returncode not in (0, 1) or results_verdict is None:
        return verdict(returncode, counts)
    return {"conformant": EXIT_CONFORMANT, "not-conformant": EXIT_NON_CONFORMANT}.get(results_verdict, EXIT_ERROR)


def _read_results(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def summary_lines(results: Path, data: dict | None) -> list[str]:
    """Where each output is, and the score per level."""
    lines = []
    if data:
        scores = [f"{s['level']} {s['score']} % ({s['passed']}/{s['judged']})" if s.get("score") is not None
                  else f"{s['level']} not judged" for s in data.get("scores", [])]
        lines.append("Scores: " + ", ".join(scores))
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


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "skip_doctor", False):  # a configuration mistake: one line and exit 2, no test run
        from fiwano_conformance.doctor import preflight

        if preflight(args, list(getattr(args, "extra", []))) != EXIT_CONFORMANT:
            return EXIT_ERROR
    results = Path(args.results).resolve()
    results.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "report.html", "junit.xml"):  # never report an earlier run's files
        (results / stale).unlink(missing_ok=True)
    started = time.monotonic()
    completed = subprocess.run(pytest_command(args, results), check=False)
    elapsed = time.monotonic() - started
    junit = results / "junit.xml"
    if not junit.exists():
        print(f"fiwano-conformance: the suites did not run (pytest exit {completed.returncode}); see the output above",
              file=sys.stderr)
        return EXIT_ERROR
    counts = count_junit(junit)
    data = _read_results(results / "results.json")
    code = final_exit(completed.returncode, counts, data.get("verdict") if data else None)
    if data:
        c = data["counts"]
        counts = Counts(passed=c["pass"], failed=c["fail"], errors=c["error"],
                        skipped=c["not-claimed"] + c["skip"] + c["xfail"])
    label = {EXIT_CONFORMANT: "CONFORMANT", EXIT_NON_CONFORMANT: "NOT CONFORMANT", EXIT_ERROR: "ERROR"}[code]
    print()
    print(f"Verdict: {label}")
    detail = (f"{data['counts']['not-claimed']} not-claimed, {data['counts']['xfail']} xfail, "
              f"{data['counts']['skip']} skipped" if data else f"{counts.skipped} skipped/not-claimed")
    print(f"Tests: {counts.passed} passed, {counts.failed} failed, {counts.errors} errors, "
          f"{detail} ({counts.total} in all, {elapsed:.1f} s)")
    for line in summary_lines(results, data):
        print(line)
    return code
