"""The audit's coverage map: for each line of the audited reference modules, the suite tests that execute it.

Why: the whole suites take minutes when run in one process, and every mutant that survives would cost that
much. A suite test that never executes the mutated line cannot see the mutation, so a mutant is run against
the suite tests that execute its line (those of the suite modules that exercise its module first), and a
mutant whose line no suite test executes is a survivor without any run. mutmut 3 selects tests the same way.
A line the reference executes while it starts (before the first test: imports, definitions, building the
app) can change anything, so its mutants run against every suite module.

How: on the mutant runner's lanes, each suite module runs once against an unmutated reference whose child
process records line coverage (``coverage`` with ``include=reference/*``, saved when the reference stops),
with a dynamic context per test: :mod:`tests.mutants.audit_context` announces each test before its setup and
waits until the reference has switched to it. Work a test leaves running in the background (a retry due
later) may be recorded under the next test; that only changes which tests run first, rarely which run.
The map is cached in the results directory as ``audit-coverage.json`` under a hash of every file of
``reference/``, ``suites/``, ``simulator/`` and ``contract/``: it is rebuilt when any of them changes.
The per-module wall times of that run order the modules of a mutant's run (fastest first).
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from pathlib import Path
from typing import Callable

from tests.mutants.audit import ROOT, suite_modules
from tests.mutants.runner import MutantPool, _Lane, ensure_kit_ca, read_junit

CACHE_NAME = "audit-coverage.json"
HASHED = ("reference", "suites", "simulator", "contract")


def sources_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for top in HASHED:
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".yaml", ".json"):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


STARTUP = ""  # the context of what the reference runs before the first test


class CoverageMap:
    def __init__(self, lines: dict[str, dict[int, list[str]]], seconds: dict[str, float], failures: dict[str, int]):
        self.lines = lines  # "reference/x.py" -> line -> suite test node ids that execute it ("" = start-up)
        self.seconds = seconds  # suite module -> wall seconds of its coverage run
        self.failures = failures  # suite module -> tests that failed against the unmutated reference

    def to_json(self, key: str) -> dict:
        tests = sorted({t for ls in self.lines.values() for ts in ls.values() for t in ts})
        index = {t: i for i, t in enumerate(tests)}
        return {"key": key, "seconds": self.seconds, "failures": self.failures, "tests": tests,
                "lines": {p: {str(n): [index[t] for t in ts] for n, ts in ls.items()} for p, ls in self.lines.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "CoverageMap":
        tests = data["tests"]
        lines = {p: {int(n): [tests[i] for i in ts] for n, ts in ls.items()} for p, ls in data["lines"].items()}
        return cls(lines, dict(data["seconds"]), dict(data.get("failures", {})))


def _measure(pool: MutantPool, modules: list[str], scratch: Path,
             progress: Callable[[str], None]) -> CoverageMap:
    import coverage

    pool.scratch.mkdir(parents=True, exist_ok=True)
    ca_file = ensure_kit_ca(pool.scratch / "ca")
    todo: queue.Queue[str] = queue.Queue()
    for module in modules:
        todo.put(module)
    seconds: dict[str, float] = {}
    failures: dict[str, int] = {}
    data_files: dict[str, Path] = {}
    lanes = [_Lane(i, pool.scratch, ca_file, pool.timeout, early_stop=False) for i in range(pool.jobs)]

    def drive(lane: _Lane) -> None:
        try:
            while True:
                try:
                    module = todo.get_nowait()
                except queue.Empty:
                    return
                for attempt in (1, 2):  # once more if the run broke (a loaded machine, a worker restart)
                    workdir = lane.dir / f"cov-{module}-{attempt}"
                    data_file = workdir / "coverage.data"
                    started = time.monotonic()
                    answer = lane.call({"mutant": "", "nodes": [f"suites/{module}.py"],
                                        "coverage_file": str(data_file),
                                        "pytest_args": ["-p", "tests.mutants.audit_context",
                                                        f"--audit-context-dir={workdir}"]}, workdir)
                    seconds[module] = round(time.monotonic() - started, 2)
                    outcomes = read_junit(Path(answer.get("junit", workdir / "junit.xml")))
                    failed = [o for o in outcomes if o.failed]
                    failures[module] = len(failed) if outcomes else -1
                    data_files[module] = data_file
                    broke = answer.get("error") or failed or not outcomes or not data_file.exists()
                    progress(f"  coverage of {module}: {seconds[module]:.0f} s"
                             + (f", {len(failed)} test(s) FAILED on the reference" if failed else "")
                             + (f" (the run broke: {answer.get('error') or 'no results'})" if broke and not failed
                                else ""))
                    if not broke:
                        break
        finally:
            lane.close()

    threads = [threading.Thread(target=drive, args=(lane,), daemon=True) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines: dict[str, dict[int, list[str]]] = {}
    for module, data_file in sorted(data_files.items()):
        if not data_file.exists():
            progress(f"  no coverage data for {module}: its mutants run against every suite module")
            continue
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        for measured in data.measured_files():
            rel = Path(measured).resolve().relative_to(ROOT).as_posix()
            for line, contexts in data.contexts_by_lineno(measured).items():
                known = lines.setdefault(rel, {}).setdefault(line, [])
                known.extend(c for c in contexts if c not in known)
    return CoverageMap(lines, seconds, failures)


def coverage_map(results: Path, jobs: int, scratch: Path, progress: Callable[[str], None] = print,
                 timeout: float = 900) -> CoverageMap:
    """The cached map when the sources did not change, else a fresh one (and cache it)."""
    key = sources_hash()
    cache = Path(results) / CACHE_NAME
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") == key:
            return CoverageMap.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    progress(f"Measuring which suite modules execute which reference lines ({jobs} lane(s), once per "
             "change of the sources) ...")
    cmap = _measure(MutantPool(jobs, scratch, timeout=timeout), suite_modules(), scratch, progress)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(cmap.to_json(key)), encoding="utf-8")
    return cmap
