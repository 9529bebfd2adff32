"""The audit's coverage map: for each line of the audited reference modules, the suite tests that execute it.

Why: the whole suites take minutes when run in one process, and every mutant that survives would cost that
much. A suite test that never executes the mutated line cannot see the mutation, so a mutant is run against
the suite tests that execute its line (those of the suite modules that exercise its module first), and a
mutant whose line no suite test executes is a survivor without any run. mutmut 3 selects tests the same way.
A line the reference executes while it starts (before the first test: imports, definitions, building the
app) can change anything, so its mutants run against every suite module.

How: on the mutant runner's lanes, each suite module runs once against an unmutated reference whose child
process records line coverage (``coverage`` with ``include=reference/*``, saved when the reference stops),
with a dynamic context per test: :mod:`fiwano_conformance.selftest.audit_context` announces each test before its setup and
waits until the reference has switched to it. Work a test leaves running in the background (a retry due
later) may be recorded under the next test; that only changes which tests run first, rarely which run.
The map is cached in the results directory as ``audit-coverage.json`` under a hash of every file of
``reference/``, ``suites/``, ``simulator/`` and ``contract/``: it is rebuilt when any of them changes.
The per-module wall times of that run order the modules of a mutant's run (fastest first).

Profiles: the reference runs code of a later profile (``fiwano-2026-10``) only when it runs that profile, and
the suite tests of that profile's requirements are not-claimed under ``default``. So each suite module is
measured under every profile whose requirements it names (:func:`measure_plan`; a module naming only v1
ids, or none, runs under ``default``), and the tests of a run under profile P are recorded as
``P|<node id>`` (``P|`` for P's start-up). A mutant then runs under ``default`` first and under each later
profile whose tests execute its line (``audit_run``).
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
import time
from pathlib import Path
from typing import Callable

from fiwano_conformance.selftest.audit import ROOT, suite_modules
from fiwano_conformance.selftest.audit_context import END
from fiwano_conformance.selftest.runner import MutantPool, _Lane, ensure_kit_ca, read_junit

CACHE_NAME = "audit-coverage.json"
HASHED = ("reference", "suites", "simulator", "contract")
MAP_FORMAT = "profiles-1"  # part of the cache key: a map of an older format is measured again
DEFAULT_PROFILE = "default"
PROFILE_SEP = "|"  # "P|node id": a test measured under the later profile P


def tagged(profile: str, context: str) -> str:
    """A coverage context as the map stores it: bare under ``default``, ``P|context`` under profile P."""
    return context if profile == DEFAULT_PROFILE else f"{profile}{PROFILE_SEP}{context}"


def split_tag(entry: str) -> tuple[str, str]:
    """``P|node`` -> (P, node); a bare node id -> (``default``, node)."""
    profile, sep, node = entry.partition(PROFILE_SEP)
    return (profile, node) if sep else (DEFAULT_PROFILE, entry)


_REQ_ID = re.compile(r"[\"']([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)[\"']")


def measure_plan(modules: list[str], root: Path = ROOT) -> list[tuple[str, str]]:
    """(suite module, profile) pairs to measure: under every profile that introduced a requirement id the module
    names as a string literal, and under ``default`` when it names a v1 id or none it can resolve."""
    import contract

    introduced = {rid: contract.requirement_profile(entry) for rid, entry in contract.load_requirements().items()}
    plan: list[tuple[str, str]] = []
    for module in modules:
        text = (root / "suites" / f"{module}.py").read_text(encoding="utf-8")
        profiles = {introduced[rid] for rid in _REQ_ID.findall(text) if rid in introduced}
        if not profiles or DEFAULT_PROFILE in profiles:
            plan.append((module, DEFAULT_PROFILE))
        plan.extend((module, profile) for profile in sorted(profiles - {DEFAULT_PROFILE}))
    return plan


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
    todo: queue.Queue[tuple[str, str]] = queue.Queue()
    for item in measure_plan(modules):
        todo.put(item)
    seconds: dict[str, float] = {}
    failures: dict[str, int] = {}
    data_files: dict[tuple[str, str], Path] = {}
    lanes = [_Lane(i, pool.scratch, ca_file, pool.timeout, early_stop=False) for i in range(pool.jobs)]

    def drive(lane: _Lane) -> None:
        try:
            while True:
                try:
                    module, profile = todo.get_nowait()
                except queue.Empty:
                    return
                key = tagged(profile, module)
                for attempt in (1, 2):  # once more if the run broke (a loaded machine, a worker restart)
                    workdir = lane.dir / f"cov-{module}-{profile}-{attempt}"
                    data_file = workdir / "coverage.data"
                    started = time.monotonic()
                    pytest_args = ["-p", "fiwano_conformance.selftest.audit_context", f"--audit-context-dir={workdir}"]
                    request: dict[str, object] = {"mutant": "", "nodes": [f"suites/{module}.py"],
                                                  "coverage_file": str(data_file), "pytest_args": pytest_args}
                    if profile != DEFAULT_PROFILE:  # reference and suites both run the later profile
                        request["profile"] = profile
                        pytest_args.append(f"--fiwano-profile={profile}")
                    answer = lane.call(request, workdir)
                    seconds[key] = round(time.monotonic() - started, 2)
                    outcomes = read_junit(Path(answer.get("junit", workdir / "junit.xml")))
                    failed = [o for o in outcomes if o.failed]
                    failures[key] = len(failed) if outcomes else -1
                    data_files[(module, profile)] = data_file
                    broke = answer.get("error") or failed or not outcomes or not data_file.exists()
                    progress(f"  coverage of {key}: {seconds[key]:.0f} s"
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
    for (module, profile), data_file in sorted(data_files.items()):
        if not data_file.exists():
            progress(f"  no coverage data for {tagged(profile, module)}: its lines may look unexecuted")
            continue
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        for measured in data.measured_files():
            rel = Path(measured).resolve().relative_to(ROOT).as_posix()
            for line, contexts in data.contexts_by_lineno(measured).items():
                known = lines.setdefault(rel, {}).setdefault(line, [])
                known.extend(t for t in (tagged(profile, c) for c in contexts if c != END) if t not in known)
    return CoverageMap(lines, seconds, failures)


def coverage_map(results: Path, jobs: int, scratch: Path, progress: Callable[[str], None] = print,
                 timeout: float = 900) -> CoverageMap:
    """The cached map when the sources did not change, else a fresh one (and cache it)."""
    key = f"{MAP_FORMAT}-{sources_hash()}"
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
