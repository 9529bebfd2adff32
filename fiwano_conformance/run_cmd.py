"""``fiwano-conformance run``: the main job.

Runs the conformance suites with pytest in a child process (against the embedded pair unless a target is
given), writes the results into a directory and prints the verdict, the counts and where the results are.

Exit codes (as CI consumers of conformance suites expect): 0 conformant, 1 non-conformant,
2 configuration or harness error.
"""

from __future__ import annotations

import argparse
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
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", help="base URL of the Fiwano implementation (default: start the embedded reference)")
    parser.add_argument("--simulator", help="base URL of a running simulator (default: the embedded one)")
    parser.add_argument("--harness", help="base URL of the target's harness API, if it offers one")
    parser.add_argument("--config", help="YAML file with the run's configuration")
    parser.add_argument("--level", choices=["api", "simulated", "controlled"], help="what the target claims")
    parser.add_argument("--profile", help="profile name or YAML path (default: default)")
    parser.add_argument("--results", default="fiwano-results", help="directory for the results (default fiwano-results)")
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
               f"--junitxml={results / 'junit.xml'}", "-o", "junit_family=xunit2"]
    for name, option in FORWARDED.items():
        value = getattr(args, name, None)
        if value:
            command.append(f"{option}={value}")
    if args.quiet:
        command.append("-q")
    return command + list(getattr(args, "extra", []))


def verdict(returncode: int, counts: Counts) -> int:
    if returncode == 0 and counts.failed == 0 and counts.errors == 0:
        return EXIT_CONFORMANT
    if returncode == 1:
        return EXIT_NON_CONFORMANT
    return EXIT_ERROR


def run(args: argparse.Namespace) -> int:
    results = Path(args.results).resolve()
    results.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    completed = subprocess.run(pytest_command(args, results), check=False)
    elapsed = time.monotonic() - started
    junit = results / "junit.xml"
    if not junit.exists():
        print(f"fiwano-conformance: the suites did not run (pytest exit {completed.returncode}); see the output above",
              file=sys.stderr)
        return EXIT_ERROR
    counts = count_junit(junit)
    code = verdict(completed.returncode, counts)
    label = {EXIT_CONFORMANT: "CONFORMANT", EXIT_NON_CONFORMANT: "NOT CONFORMANT", EXIT_ERROR: "ERROR"}[code]
    print()
    print(f"Verdict: {label}")
    print(f"Tests: {counts.passed} passed, {counts.failed} failed, {counts.errors} errors, "
          f"{counts.skipped} skipped/not-claimed ({counts.total} in all, {elapsed:.1f} s)")
    print(f"Results: {results}")
    return code
