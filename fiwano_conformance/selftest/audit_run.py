"""Run the mutation audit's mutants on the lanes of the mutant runner, and judge each (docs/self-test.md).

Each mutant is one request to a lane's preloaded worker (:class:`fiwano_conformance.selftest.runner._Lane`): the worker
forks the reference with the mutated module's source executed in place of the file
(:func:`fiwano_conformance.selftest.worker.load_patched_module`), resets the lane's simulator, and forks a black-box pytest
run of every suite test that executes the mutated line (:mod:`fiwano_conformance.selftest.audit_coverage`), the ones of
the suite modules relevant to the mutated module first (:func:`fiwano_conformance.selftest.audit.suite_order`), stopping at the first
failure (``-x``). Tests measured under a later profile run in a second pytest run with the reference and the
suites in that profile (:func:`profile_runs`), only if the mutant survived the ``default`` run.

Verdicts:

* **killed**: a suite test failed (or errored), or the mutated reference did not start at all (the suites
  would fail every test against it);
* **survived**: every suite test that executes the mutated line passed (or no suite test executes it);
* **timeout**: the pytest run took longer than the mutant's budget (``--timeout``);
* **equivalent**: listed in ``tests/mutants/audit-triage.yaml`` with its reason; not run;
* **error**: the run itself broke (pytest exited with a usage or internal error, the worker died).

Mutants whose mutated source does not compile (cosmic-ray turns the ``*`` of a keyword-only marker into
``//``, for instance), or that cosmic-ray fails to apply (its exception replacer on a dotted name in a
tuple), are **incompetent**: they are set aside and the next mutant of the seeded order is
drawn, so a sample of N is N mutants that run.
"""

from __future__ import annotations

import os
import queue
import random
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from fiwano_conformance.selftest.audit import AuditMutant, covering_tests, enumerate_mutants, operator_names, suite_order
from fiwano_conformance.selftest.audit_coverage import DEFAULT_PROFILE, CoverageMap, split_tag
from fiwano_conformance.selftest.runner import ROOT, MutantPool, WorkerDied, _Lane, _tail, ensure_kit_ca, read_junit

KILLED, SURVIVED, TIMEOUT, EQUIVALENT, ERROR = "killed", "survived", "timeout", "equivalent", "error"
PER_TEST_TIMEOUT = 120  # seconds a suite test may take against a mutant (pytest-timeout); a hang fails it


@dataclass
class AuditResult:
    mutant: AuditMutant
    status: str
    detail: str = ""  # the first failing test, why the reference did not start, or the equivalence reason
    tests_passed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    output_tail: str = ""

    def to_json(self) -> dict[str, Any]:
        m = self.mutant
        return {"id": m.id, "module": m.module, "operator": m.operator, "occurrence": m.occurrence,
                "line": m.line, "diff": m.diff, "status": self.status, "detail": self.detail,
                "tests_passed": self.tests_passed, "seconds": self.seconds,
                "output_tail": self.output_tail if self.status in (SURVIVED, ERROR, TIMEOUT) else ""}


def compiles(mutant: AuditMutant) -> bool:
    with warnings.catch_warnings():  # e.g. SyntaxWarning for "is" with a literal: the mutant is still competent
        warnings.simplefilter("ignore")
        try:
            compile(mutant.mutated, mutant.path, "exec")
        except (SyntaxError, ValueError):
            return False
        except Exception:  # noqa: BLE001 - cosmic-ray itself cannot apply it (its exception replacer fails on
            return False  # a dotted name in a tuple: "except (httpx.HTTPError, OSError)")
    return True


def draw(size: int | None, seed: int, only: list[str] | None = None) -> tuple[list[AuditMutant], int, int]:
    """(the mutants to run, how many points were enumerated, how many drawn ones did not compile).

    The enumeration is shuffled with ``random.Random(seed)`` and walked in that order, skipping mutants whose
    source does not compile, until ``size`` are taken (all of them when ``size`` is None)."""
    everything = enumerate_mutants()
    if only:
        by_id = {m.id: m for m in everything}
        missing = [i for i in only if i not in by_id]
        if missing:
            raise SystemExit(f"fiwano-conformance selftest audit: unknown mutant id(s): {', '.join(missing)}")
        return [by_id[i] for i in only], len(everything), 0
    order = list(everything)
    random.Random(seed).shuffle(order)
    chosen, incompetent = [], 0
    for mutant in order:
        if size is not None and len(chosen) >= size:
            break
        if compiles(mutant):
            chosen.append(mutant)
        else:
            incompetent += 1
    return chosen, len(everything), incompetent


def judge(mutant: AuditMutant, answer: dict, workdir: Path, budget: float) -> AuditResult:
    seconds = {k: float(v) for k, v in answer.get("seconds", {}).items()}
    tail = _tail(answer.get("pytest_log", workdir / "pytest.log"))
    error = answer.get("error", "")
    if error and "mutated reference" in error:
        return AuditResult(mutant, KILLED, "the mutated reference did not start: " + error.splitlines()[-1][:300],
                           seconds=seconds)
    if error:
        return AuditResult(mutant, ERROR, error[:500], seconds=seconds, output_tail=tail)
    outcomes = read_junit(Path(answer.get("junit", workdir / "junit.xml")))
    passed = sum(1 for o in outcomes if o.outcome == "passed")
    if answer.get("timed_out"):
        return AuditResult(mutant, TIMEOUT, f"the pytest run took longer than {budget:.0f} s", passed, seconds, tail)
    failed = [o for o in outcomes if o.failed]
    code = answer.get("pytest_exit")
    if code == 1 and failed:
        first = failed[0]
        return AuditResult(mutant, KILLED, f"{first.nodeid}: {first.message[:200]}", passed, seconds)
    if code == 0:
        return AuditResult(mutant, SURVIVED, "every suite test passed", passed, seconds, tail)
    return AuditResult(mutant, ERROR, f"pytest exited with {code}", passed, seconds, tail)


class AuditPool(MutantPool):
    """The mutant runner's lanes, fed audit mutants instead of catalogue mutants."""

    def run_audit(self, mutants: list[AuditMutant], triage: dict[str, dict], cmap: CoverageMap,
                  on_result: Callable[[AuditResult], None] | None = None) -> list[AuditResult]:
        self.scratch.mkdir(parents=True, exist_ok=True)
        ca_file = ensure_kit_ca(self.scratch / "ca")
        results: list[AuditResult | None] = [None] * len(mutants)
        todo: queue.Queue[tuple[int, AuditMutant]] = queue.Queue()
        lock = threading.Lock()

        def report(index: int, result: AuditResult) -> None:
            results[index] = result
            if on_result is not None:
                with lock:
                    on_result(result)

        plan: dict[int, list[tuple[str, list[str]]]] = {}
        for index, mutant in enumerate(mutants):
            covering = covering_tests(mutant, cmap.lines.get(mutant.path, {}))
            if mutant.id in triage:
                report(index, AuditResult(mutant, EQUIVALENT, str(triage[mutant.id]["reason"]).strip()))
            elif not covering:
                report(index, AuditResult(mutant, SURVIVED, f"no suite test executes line {mutant.line}"))
            else:
                plan[index] = profile_runs(mutant, covering, cmap.seconds)
                todo.put((index, mutant))
        self.lanes = [_Lane(i, self.scratch, ca_file, self.timeout, early_stop=False)
                      for i in range(min(self.jobs, max(1, todo.qsize())))]

        def drive(lane: _Lane) -> None:
            try:
                while True:
                    try:
                        index, mutant = todo.get_nowait()
                    except queue.Empty:
                        return
                    started = time.monotonic()
                    try:
                        result = self._run_profiles(lane, index, mutant, plan[index])
                    except (WorkerDied, OSError, ValueError) as exc:
                        result = AuditResult(mutant, ERROR, f"{type(exc).__name__}: {exc}"[:500])
                    except Exception as exc:  # noqa: BLE001 - one mutant's breakage must not stop the rest
                        result = AuditResult(mutant, ERROR, f"{type(exc).__name__}: {exc}"[:500])
                    result.seconds.setdefault("total", round(time.monotonic() - started, 3))
                    report(index, result)
            finally:
                lane.close()

        threads = [threading.Thread(target=drive, args=(lane,), name=f"audit-lane-{lane.index}", daemon=True)
                   for lane in self.lanes]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:
            while not todo.empty():
                todo.get_nowait()
            for lane in self.lanes:
                lane._kill_worker()
            raise
        return [r for r in results if r is not None]


    def _run_profiles(self, lane: _Lane, index: int, mutant: AuditMutant,
                      runs: list[tuple[str, list[str]]]) -> AuditResult:
        """One pytest run per profile whose tests execute the mutated line, ``default`` first, until one does
        not survive; the verdict of a later profile's run names that profile."""
        result: AuditResult | None = None
        passed = 0
        for profile, nodes in runs:
            workdir = lane.dir / (f"m{index:04d}" if profile == DEFAULT_PROFILE else f"m{index:04d}-{profile}")
            request: dict = {"mutant": "", "nodes": nodes,
                             "patch": {"module": mutant.module, "path": str(ROOT / mutant.path),
                                       "source": mutant.mutated},
                             "pytest_args": ["-x", f"--timeout={PER_TEST_TIMEOUT}"]}
            if profile != DEFAULT_PROFILE:
                request["profile"] = profile
                request["pytest_args"].append(f"--fiwano-profile={profile}")
            result = judge(mutant, lane.call(request, workdir), workdir, self.timeout)
            passed += result.tests_passed
            if profile != DEFAULT_PROFILE and result.status != SURVIVED:
                result.detail = f"[profile {profile}] {result.detail}"
            if result.status != SURVIVED:
                break
        assert result is not None
        result.tests_passed = passed
        return result


def profile_runs(mutant: AuditMutant, covering: list[str],
                 seconds: dict[str, float]) -> list[tuple[str, list[str]]]:
    """The covering tests (``P|node`` under a later profile P, see ``audit_coverage``) as one ordered pytest
    selection per profile, ``default`` first."""
    by_profile: dict[str, list[str]] = {}
    for entry in covering:
        profile, node = split_tag(entry)
        by_profile.setdefault(profile, []).append(node)
    runs = []
    for profile in sorted(by_profile, key=lambda p: (p != DEFAULT_PROFILE, p)):
        times = {split_tag(k)[1]: v for k, v in seconds.items() if split_tag(k)[0] == profile}
        runs.append((profile, suite_order(mutant, by_profile[profile], times)))
    return runs


def host_load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def operator_set() -> list[str]:
    """The operator families sampled from (cosmic-ray's core operators; the binary and comparison families
    stand for one operator per pair of operators, e.g. ReplaceComparisonOperator_Lt_LtE)."""
    return sorted({name.split("_")[0] for name in operator_names()})
