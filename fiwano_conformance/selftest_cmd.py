"""``fiwano-conformance selftest``: prove the suites on broken implementations, and hunt flaky tests.

* ``selftest mutants``: runs every mutant of ``tests/mutants/defects/`` (see docs/self-test.md) and prints
  killed or survived, the killing tests and the mutation score; writes ``mutants.json``. Exit 1 when a
  mutant survives.
* ``selftest flake --runs N``: runs the whole suites N times against the embedded pair and reports every
  test that failed at least once. Exit 1 when one did.

Both need a source checkout (the mutants live in ``tests/``, which is not installed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="selftest", metavar="MODE", required=True)
    mutants = sub.add_parser("mutants", help="run the mutant catalogue; a survivor fails")
    mutants.add_argument("names", nargs="*", help="only these mutants (default: all)")
    mutants.add_argument("--jobs", type=int, default=2, help="mutants run side by side (default 2)")
    mutants.add_argument("--results", default="fiwano-results", help="directory for mutants.json")
    flake = sub.add_parser("flake", help="run the whole suites N times and report any test that ever failed")
    flake.add_argument("--runs", type=int, default=20)
    flake.add_argument("--results", default="fiwano-results", help="directory for flake.json")
    flake.add_argument("--xdist", default="2", help="pytest-xdist workers per run (default 2; 0 = serial)")


def _checkout() -> None:
    if not (ROOT / "tests" / "mutants" / "defects").is_dir():
        raise SystemExit("fiwano-conformance selftest: needs a source checkout (tests/mutants is not installed)")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def run_mutants(args: argparse.Namespace) -> int:
    from tests.mutants.catalogue import all_mutants, load
    from tests.mutants.runner import run_mutant

    mutants = [load(name) for name in args.names] if args.names else all_mutants()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fiwano-mutants-") as scratch:
        def one(mutant):
            return run_mutant(mutant, Path(scratch) / mutant.name)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(one, mutants))
    elapsed = time.monotonic() - started
    width = max(len(r.mutant.name) for r in results)
    for result in results:
        verdict = "killed" if result.killed else "SURVIVED"
        print(f"{result.mutant.name:<{width}}  {verdict:<8}  {', '.join(result.mutant.requirements)}")
        for test in result.killed_by[:3]:
            print(f"{'':<{width}}    killed by {test}")
        if not result.killed:
            print(f"{'':<{width}}    ran {len(result.tests_run)} test(s); pytest exit {result.pytest_exit}")
    killed = sum(r.killed for r in results)
    score = killed / len(results) if results else 1.0
    print(f"\nMutation score: {killed}/{len(results)} killed ({score:.0%}) in {elapsed:.0f} s")
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutants.json").write_text(json.dumps({
        "score": score, "killed": killed, "total": len(results), "seconds": round(elapsed, 1),
        "mutants": [{"name": r.mutant.name, "defect": r.mutant.defect, "requirements": list(r.mutant.requirements),
                     "killed": r.killed, "killed_by": r.killed_by, "tests_run": r.tests_run} for r in results],
    }, indent=2))
    print(f"Results: {(out / 'mutants.json').resolve()}")
    return 0 if killed == len(results) else 1


def _failures(junit: Path) -> list[str]:
    if not junit.exists():
        return ["<no junit.xml: the run itself broke>"]
    return [f"{case.get('classname')}::{case.get('name')}" for case in ET.parse(junit).getroot().iter("testcase")
            if any(child.tag in {"failure", "error"} for child in case)]


def run_flake(args: argparse.Namespace) -> int:
    failures: Counter[str] = Counter()
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fiwano-flake-") as scratch:
        for run in range(1, args.runs + 1):
            junit = Path(scratch) / f"run{run}.xml"
            command = [sys.executable, "-m", "pytest", "--pyargs", "suites", "-q", "-p", "no:cacheprovider",
                       f"--junitxml={junit}"]
            if args.xdist not in ("0", ""):
                command += ["-n", args.xdist]
            started = time.monotonic()
            subprocess.run(command, capture_output=True, check=False)
            failed = _failures(junit)
            failures.update(failed)
            print(f"run {run}/{args.runs}: {len(failed)} failed in {time.monotonic() - started:.0f} s", flush=True)
    (out / "flake.json").write_text(json.dumps({"runs": args.runs, "failures": dict(failures)}, indent=2))
    if failures:
        print("\nTests that failed at least once:")
        for test, count in failures.most_common():
            print(f"  {count}/{args.runs}  {test}")
    else:
        print(f"\nNo test failed in {args.runs} runs.")
    return 1 if failures else 0


def run(args: argparse.Namespace) -> int:
    _checkout()
    return run_mutants(args) if args.selftest == "mutants" else run_flake(args)
