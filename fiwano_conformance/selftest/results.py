"""Turn a catalogue run into the mutants.json document (reports/mutants_schema.json) and print its table."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from reports.mutants import FORMAT, summarize
from fiwano_conformance.selftest.runner import MutantResult
from fiwano_conformance.selftest.smoke import SMOKE_TESTS


def host_info() -> dict[str, Any]:
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {"cpus": os.cpu_count(), "load_at_start": load}


def slowest_first(mutants: list, results_dir: Path) -> list:
    """The mutants, slowest of the previous run (``results_dir/mutants.json``) first, unknown ones before
    all: the lanes then finish together instead of one lane ending on a 20 s mutant."""
    try:
        data = json.loads((Path(results_dir) / "mutants.json").read_text(encoding="utf-8"))
        previous = {m["name"]: float(m.get("seconds", {}).get("total", 0.0)) for m in data.get("mutants", [])}
    except (OSError, ValueError, TypeError, AttributeError):
        previous = {}
    return sorted(mutants, key=lambda m: -previous.get(m.name, 1e9))


def mutant_entry(result: MutantResult) -> dict[str, Any]:
    m = result.mutant
    return {"name": m.name, "defect": m.defect, "requirements": list(m.requirements), "status": result.status,
            "killed": result.killed, "killed_by": result.killed_by, "by_requirement": result.by_requirement,
            "smoke_broken": result.smoke_broken, "smoke_failures": result.smoke_failures,
            "other_failures": result.other_failures, "tests_run": result.tests_run,
            "mapped_tests": result.mapped_tests, "pytest_exit": result.pytest_exit, "error": result.error,
            "seconds": {k: float(v) for k, v in result.seconds.items()},
            "output_tail": result.output_tail if result.status != "killed" or result.smoke_broken else ""}


def document(results: list[MutantResult], started_at: float, seconds: float, jobs: int,
             host: dict[str, Any] | None = None, startup: list[dict[str, float]] | None = None,
             coverage: dict[str, Any] | None = None, early_stop: bool = True) -> dict[str, Any]:
    mutants = [mutant_entry(r) for r in results]
    host = dict(host or host_info())
    try:
        host["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    data = {"format": FORMAT,
            "started_at": datetime.fromtimestamp(started_at, timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(seconds, 1), "jobs": jobs, "early_stop": early_stop, "host": host,
            "startup_seconds": startup or [],
            **summarize(mutants), "smoke_tests": list(SMOKE_TESTS), "mutants": mutants}
    if coverage is not None:
        data["coverage"] = coverage
    return data


def print_line(result: MutantResult, width: int, out: TextIO) -> None:
    """One mutant's lines in the table (printed as each mutant finishes)."""
    verdict = {"killed": "killed", "survived": "SURVIVED", "error": "ERROR"}[result.status]
    flag = "  [smoke broken]" if result.smoke_broken else ""
    total = result.seconds.get("total")
    took = f"  {total:5.1f} s" if total is not None else ""
    print(f"{result.mutant.name:<{width}}  {verdict:<8}{took}  {', '.join(result.mutant.requirements)}{flag}",
          file=out)
    pad = " " * width
    for test in result.killed_by[:3]:
        print(f"{pad}    killed by {test}", file=out)
    if len(result.killed_by) > 3:
        print(f"{pad}    ... and {len(result.killed_by) - 3} more", file=out)
    if len(result.mutant.requirements) > 1:
        for rid, tests in result.by_requirement.items():
            if not tests:
                print(f"{pad}    no test of {rid} failed", file=out)
    if result.smoke_failures:
        shown = sorted({test.split("::")[-1] for test in result.smoke_failures})
        print(f"{pad}    smoke broken (beyond its defect): {len(result.smoke_failures)} smoke test(s) failed: "
              f"{', '.join(shown)}", file=out)
    if result.status == "survived":
        print(f"{pad}    ran {len(result.tests_run)} test node(s); pytest exit {result.pytest_exit}", file=out)
    if result.error:
        print(f"{pad}    {result.error.splitlines()[0] if result.error else ''}", file=out)
        if result.output_tail:
            for line in result.output_tail.splitlines()[-8:]:
                print(f"{pad}      {line}", file=out)
    out.flush()


def now() -> float:
    return time.time()
