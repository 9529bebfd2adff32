"""``fiwano-conformance selftest``: prove the suites on broken implementations, and hunt flaky tests.

* ``selftest mutants``: runs every mutant of ``tests/mutants/defects/`` (see docs/self-test.md) against the
  suite tests mapped to its requirement ids plus the smoke set, and prints killed or survived, the killing
  tests and the mutation score; writes ``mutants.json``, ``mutants-junit.xml`` and ``mutants.html``. Exit 1
  when a mutant survives or its run breaks. ``--coverage`` lists the MUST requirements against the catalogue.
* ``selftest audit --sample N --seed S``: the automatic mutation audit: N mutants drawn (seeded) from
  cosmic-ray's operators applied to the reference's behaviour-bearing modules, each run against the suite
  modules that execute its line; prints killed, survived, timeout and equivalent (triaged in
  ``tests/mutants/audit-triage.yaml``) and the score killed / (sampled - equivalent); writes ``audit.json``.
  Exit 1 below ``--min-score``. Needs the ``audit`` extra (cosmic-ray, coverage).
* ``selftest flake --runs N``: runs the whole suites N times against the embedded pair and reports every
  test that failed at least once. Exit 1 when one did.

Both need a source checkout (the mutants live in ``tests/``, which is not installed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="selftest", metavar="MODE", required=True)
    mutants = sub.add_parser("mutants", help="run the mutant catalogue; a survivor fails",
                             description="Run mutants of the reference against the suite tests mapped to their "
                                         "requirement ids plus the smoke set (docs/self-test.md).")
    mutants.add_argument("names", nargs="*", help="only these mutants (default: all)")
    mutants.add_argument("--jobs", type=int, default=2,
                         help="mutants run side by side, each lane with its own simulator and worker (default 2)")
    mutants.add_argument("--results", default="fiwano-results",
                         help="directory for mutants.json, mutants-junit.xml and mutants.html")
    mutants.add_argument("--timeout", type=float, default=300, help="seconds one mutant's pytest run may take")
    mutants.add_argument("--all-tests", action="store_true",
                         help="run every mapped test of each mutant (default: stop a mutant's run once a test of "
                              "each of its ids has failed; the verdict cannot change after that)")
    mutants.add_argument("--coverage", action="store_true",
                         help="do not run anything: list the MUST requirements with the mutants that target them, "
                              "the ones declared untargeted (with the reason) and the missing ones; exit 1 if any "
                              "is missing or a declaration is wrong")
    audit = sub.add_parser("audit", help="mutation audit: sampled cosmic-ray mutants of the reference must be killed",
                           description="Mutate the reference's behaviour-bearing modules with cosmic-ray's core "
                                       "operators, run a seeded sample against the suites and report killed, "
                                       "survived, timeout and equivalent (docs/self-test.md).")
    audit.add_argument("ids", nargs="*", help="only these mutant ids (as printed by a previous run)")
    audit.add_argument("--sample", type=int, default=300, help="mutants to draw (default 300; 0 = every mutant)")
    audit.add_argument("--seed", type=int, default=14, help="seed of the draw (default 14)")
    audit.add_argument("--jobs", type=int, default=3,
                       help="mutants run side by side, each lane with its own simulator and worker (default 3)")
    audit.add_argument("--results", default="fiwano-results", help="directory for audit.json (and its coverage map)")
    audit.add_argument("--timeout", type=float, default=600, help="seconds one mutant's pytest run may take")
    audit.add_argument("--min-score", type=float, default=0.9, help="exit 1 below this score (default 0.9)")
    audit.add_argument("--list", action="store_true", help="print the drawn mutants with their diffs; run nothing")
    audit.add_argument("--update", action="store_true",
                       help="update the previous --results/audit.json instead of drawing a new sample: run again the "
                            "given ids (e.g. survivors after a suite fix), apply the current triage file, rescore")
    flake = sub.add_parser("flake", help="run the whole suites N times and report any test that ever failed")
    flake.add_argument("--runs", type=int, default=20)
    flake.add_argument("--results", default="fiwano-results", help="directory for flake.json")
    flake.add_argument("--xdist", default="2", help="pytest-xdist workers per run (default 2; 0 = serial)")


def _checkout() -> None:
    if not (ROOT / "tests" / "mutants" / "defects").is_dir():
        raise SystemExit("fiwano-conformance selftest: needs a source checkout (tests/mutants is not installed)")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def print_coverage() -> int:
    from fiwano_conformance.selftest.coverage import must_coverage

    cov = must_coverage()
    print(f"MUST requirements: {len(cov.must)}; targeted by a mutant: {len(cov.targeted)}; "
          f"declared untargeted: {len(cov.untargeted)}; pending (no suite test yet): {len(cov.pending)}; "
          f"missing: {len(cov.missing)}\n")
    width = max((len(rid) for rid in cov.must), default=10)
    for rid in cov.must:
        if rid in cov.targeted:
            print(f"{rid:<{width}}  targeted    {', '.join(cov.targeted[rid])}")
        elif rid in cov.untargeted:
            print(f"{rid:<{width}}  untargeted  {cov.untargeted[rid]}")
        elif rid in cov.pending:
            print(f"{rid:<{width}}  pending     no suite test yet (contract/pending.yaml): its mutant comes with its test")
        else:
            print(f"{rid:<{width}}  MISSING     no mutant names it and no tests/mutants/untargeted/*.yaml "
                  "gives a reason")
    if cov.problems:
        print("\nProblems:")
        for problem in cov.problems:
            print(f"  {problem}")
    return 0 if cov.ok else 1


def run_mutants(args: argparse.Namespace) -> int:
    if getattr(args, "coverage", False):
        return print_coverage()
    from reports.mutants import write_mutant_outputs
    from fiwano_conformance.selftest.catalogue import all_mutants, load
    from fiwano_conformance.selftest.coverage import must_coverage
    from fiwano_conformance.selftest.results import document, host_info, print_line, slowest_first
    from fiwano_conformance.selftest.runner import MutantPool

    mutants = [load(name) for name in args.names] if args.names else all_mutants()
    out = Path(args.results)
    order = slowest_first(mutants, out)
    width = max(len(m.name) for m in mutants)
    jobs = max(1, args.jobs)
    print(f"Running {len(mutants)} mutant(s) on {jobs} job(s): mapped tests + the smoke set each ...", flush=True)
    host, wall_start, started = host_info(), time.time(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fiwano-mutants-") as scratch:
        pool = MutantPool(jobs, Path(scratch), timeout=args.timeout, early_stop=not args.all_tests)
        done = pool.run(order, on_result=lambda r: print_line(r, width, sys.stdout))
    elapsed = time.monotonic() - started
    rank = {m.name: i for i, m in enumerate(mutants)}
    results = sorted(done, key=lambda r: rank[r.mutant.name])
    coverage = must_coverage().to_json() if not args.names else None
    data = document(results, wall_start, elapsed, jobs, host, pool.startup_seconds, coverage,
                    early_stop=not args.all_tests)
    counts = data["counts"]
    print(f"\nMutation score: {data['killed']}/{data['total']} killed ({data['score']:.0%}) in {elapsed:.0f} s "
          f"on {jobs} job(s); {counts['survived']} survived, {counts['error']} error, "
          f"{counts['smoke_broken']} smoke broken")
    for result in results:
        if result.status != "killed":
            print(f"  {result.status.upper()}: {result.mutant.name}")
    written = write_mutant_outputs(data, out)
    print(f"Results: {written['json'].resolve()} (also {written['junit'].name}, {written['html'].name})")
    return 0 if data["killed"] == data["total"] else 1


def run_audit(args: argparse.Namespace) -> int:
    try:
        import coverage  # noqa: F401
        import cosmic_ray  # noqa: F401
    except ImportError:
        print("fiwano-conformance selftest audit: needs cosmic-ray and coverage: pip install -e '.[audit]'",
              file=sys.stderr)
        return 2
    from fiwano_conformance.selftest.audit import load_triage
    from fiwano_conformance.selftest.audit_coverage import coverage_map
    from fiwano_conformance.selftest.audit_run import AuditPool, draw, host_load

    triage = load_triage()
    out = Path(args.results)
    previous: dict | None = None
    if args.update:
        try:
            previous = json.loads((out / "audit.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"fiwano-conformance selftest audit: --update needs a previous {out / 'audit.json'} ({exc})",
                  file=sys.stderr)
            return 2
    if previous is not None and not args.ids:
        mutants, enumerated, incompetent = [], previous.get("enumerated", 0), 0  # rescore with the triage only
    else:
        mutants, enumerated, incompetent = draw(args.sample or None, args.seed, args.ids)
    if args.list:
        for mutant in mutants:
            print(f"{mutant.id}  ({mutant.path}:{mutant.line})\n{mutant.diff}\n")
        return 0
    jobs = max(1, args.jobs)
    load_start, wall_start, started = host_load(), time.time(), time.monotonic()
    print(f"Mutation audit: {len(mutants)} of {enumerated} mutants (seed {args.seed}; {incompetent} drawn ones did "
          f"not compile and were replaced) on {jobs} job(s); load {load_start}", flush=True)
    with tempfile.TemporaryDirectory(prefix="fiwano-audit-") as scratch:
        if not mutants:
            return _audit_report(args, previous, [], triage, {}, enumerated, incompetent)
        cmap = coverage_map(out, jobs, Path(scratch) / "coverage", progress=lambda line: print(line, flush=True))
        broken = {m: ("no results" if n < 0 else f"{n} failed") for m, n in cmap.failures.items() if n}
        if broken:
            print(f"fiwano-conformance selftest audit: suite tests fail on the unmutated reference ({broken}); "
                  "fix that first", file=sys.stderr)
            return 2
        coverage_seconds = round(time.monotonic() - started, 1)
        width = max((len(m.id) for m in mutants), default=10)

        def show(result) -> None:
            print(f"{result.status.upper():<10} {result.seconds.get('total', 0):6.1f} s  {result.mutant.id:<{width}}  "
                  f"{result.detail[:120]}", flush=True)

        pool = AuditPool(jobs, Path(scratch) / "mutants", timeout=args.timeout)
        done = pool.run_audit(mutants, triage, cmap, on_result=show)
    elapsed = time.monotonic() - started
    rank = {m.id: i for i, m in enumerate(mutants)}
    entries = [r.to_json() for r in sorted(done, key=lambda r: rank[r.mutant.id])]
    run = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall_start)), "seconds": round(elapsed, 1),
           "coverage_seconds": coverage_seconds, "jobs": jobs, "mutants": len(mutants),
           "host": {"cpus": os.cpu_count(), "load_at_start": load_start, "load_at_end": host_load()}}
    return _audit_report(args, previous, entries, triage, run, enumerated, incompetent)


def _audit_report(args: argparse.Namespace, previous: dict | None, entries: list[dict], triage: dict[str, dict],
                  run: dict, enumerated: int, incompetent: int) -> int:
    """Merge a run into the previous audit.json (``--update``) or start a new one; apply the triage; score."""
    from fiwano_conformance.selftest.audit_run import EQUIVALENT, operator_set

    out = Path(args.results)
    if previous is not None:  # replace the re-run entries, keep the sample and its first run's figures
        fresh = {e["id"]: e for e in entries}
        known = {e["id"] for e in previous["mutants"]}
        entries = [fresh.get(e["id"], e) for e in previous["mutants"]] + [e for i, e in fresh.items() if i not in known]
        data = {**previous, "reruns": [*previous.get("reruns", []), {**run, "ids": list(fresh)}] if run else
                previous.get("reruns", [])}
    else:
        data = {"format": "fiwano-audit/1", **run, "seed": args.seed, "sample": args.sample,
                "enumerated": enumerated, "incompetent_replaced": incompetent, "operators": operator_set()}
    for entry in entries:  # the triage file as it is now: a mutant triaged since its run is equivalent
        if entry["id"] in triage:
            entry.update(status=EQUIVALENT, detail=str(triage[entry["id"]]["reason"]).strip())
    counts = {s: sum(1 for e in entries if e["status"] == s)
              for s in ("killed", "survived", "timeout", "equivalent", "error")}
    judged = len(entries) - counts["equivalent"]
    data.update(sampled=len(entries), counts=counts, score=round(counts["killed"] / judged, 4) if judged else 1.0,
                mutants=entries)
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    took = f", this run {run['seconds'] / 60:.1f} min on {run['jobs']} job(s), load {run['host']['load_at_end']} " \
           "at the end" if run else ""
    print(f"\nAudit score: {counts['killed']}/{judged} killed ({data['score']:.1%}) of {len(entries)} sampled "
          f"(seed {data.get('seed')}); {counts['survived']} survived, {counts['timeout']} timeout, "
          f"{counts['equivalent']} equivalent, {counts['error']} error{took}")
    for entry in entries:
        if entry["status"] in ("survived", "timeout", "error"):
            last = entry["diff"].splitlines()[-1] if entry["diff"] else ""
            print(f"  {entry['status'].upper()}: {entry['id']} ({entry['module']}:{entry['line']}) "
                  f"{entry['detail'][:100]}\n    {last}")
    print(f"Results: {(out / 'audit.json').resolve()}")
    return 0 if data["score"] >= args.min_score else 1


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
    if args.selftest == "audit":
        return run_audit(args)
    return run_mutants(args) if args.selftest == "mutants" else run_flake(args)
