"""Run the suites against mutants and say, for each, whether it was killed, and by which tests.

For a mutant, the runner starts the mutated reference, then runs as a black-box pytest run against it
every suite test that names one of the mutant's requirement ids, plus the smoke set
(:mod:`fiwano_conformance.selftest.smoke`). The mutant is **killed** when at least one test whose own requirement ids
(``fiwano_req`` in pytest's junit) include one of the mutant's ids fails; a mutant that survives means the
suites assert too little for that rule. See docs/self-test.md.

How it is made fast (:class:`MutantPool`): ``jobs`` lanes run side by side; each lane owns ONE preloaded
worker process (:mod:`fiwano_conformance.selftest.worker`) that forks the mutated reference and the pytest run instead of
starting two fresh interpreters per mutant, and ONE simulator (forked by the worker once, reset before
every mutant: it is never mutated and the suites create fresh worlds). With early stop (the default), a
mutant's run ends once a test of each of its ids has failed (:mod:`fiwano_conformance.selftest.stopper`).
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from fiwano_conformance.requirements_cmd import scan_suites
# the kit CA the suites' sink will reuse, written up front so the reference can be told to trust it
from fiwano_conformance.shared.kit_ca import ensure_ca_file as ensure_kit_ca
from fiwano_conformance.shared.results import REQ_PROPERTY

from fiwano_conformance.selftest.catalogue import Mutant
from fiwano_conformance.selftest.smoke import SMOKE_TESTS, function_of, is_smoke

ROOT = Path(__file__).resolve().parents[2]

KILLED, SURVIVED, ERROR = "killed", "survived", "error"


@dataclass
class CaseOutcome:
    """One test case of a mutant's pytest run, from its junit.xml."""

    nodeid: str
    requirements: tuple[str, ...]
    outcome: str  # passed | failed | error | skipped
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")


@dataclass
class MutantResult:
    mutant: Mutant
    tests_run: list[str]  # the node ids given to pytest: mapped tests, then the smoke set
    mapped_tests: list[str] = field(default_factory=list)
    smoke_tests: list[str] = field(default_factory=list)
    outcomes: list[CaseOutcome] = field(default_factory=list)
    pytest_exit: int | None = None
    output_tail: str = ""
    error: str = ""  # the run itself broke: the reference did not start, pytest could not collect, timeout...
    seconds: dict[str, float] = field(default_factory=dict)
    workdir: str = ""

    def _targets(self, test: CaseOutcome) -> bool:
        return bool(set(test.requirements) & set(self.mutant.requirements))

    @property
    def killed_by(self) -> list[str]:
        """Failed tests that name one of the mutant's requirement ids: the killers."""
        return [t.nodeid for t in self.outcomes if t.failed and self._targets(t)]

    @property
    def smoke_failures(self) -> list[str]:
        """Failed smoke tests that name none of the mutant's ids: the mutant is broken beyond its defect."""
        return [t.nodeid for t in self.outcomes if t.failed and not self._targets(t) and is_smoke(t.nodeid)]

    @property
    def other_failures(self) -> list[str]:
        """Failed tests that are neither killers nor smoke tests (e.g. a parameter that lacks the id)."""
        return [t.nodeid for t in self.outcomes
                if t.failed and not self._targets(t) and not is_smoke(t.nodeid)]

    @property
    def by_requirement(self) -> dict[str, list[str]]:
        """For each id the mutant names, the failed tests of THAT id (empty: no test of it failed)."""
        return {rid: [t.nodeid for t in self.outcomes if t.failed and rid in t.requirements]
                for rid in self.mutant.requirements}

    @property
    def killed(self) -> bool:
        return bool(self.killed_by) and not self.error

    @property
    def smoke_broken(self) -> bool:
        return bool(self.smoke_failures)

    @property
    def status(self) -> str:
        if self.error:
            return ERROR
        return KILLED if self.killed_by else SURVIVED


# ------------------------------------------------------------------------------------------- helpers


def tests_for(requirements: tuple[str, ...]) -> list[str]:
    """Suite test node ids (``suites/test_x.py::test_y``) that name any of ``requirements``."""
    return _tests_for(requirements, scan_suites(ROOT / "suites").tests_by_req)


def _tests_for(requirements: Iterable[str], tests_by_req: dict[str, list[str]]) -> list[str]:
    return sorted({node for req in requirements for node in tests_by_req.get(req, [])})


def selection(mapped: list[str], smoke: tuple[str, ...] = SMOKE_TESTS) -> tuple[list[str], list[str]]:
    """(mapped, smoke) node ids to run; a smoke test already selected through the mapping runs once."""
    mapped_functions = {function_of(node) for node in mapped}
    return list(mapped), [node for node in smoke if function_of(node) not in mapped_functions]


def _nodeid(classname: str, name: str) -> str:
    """junit ``classname``/``name`` -> pytest node id (``suites/test_x.py::Class::test_y[p]``)."""
    parts = classname.split(".") if classname else []
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (ROOT / path).is_file():
            return "::".join([path, *parts[cut:], name])
    return f"{classname}::{name}" if classname else name


def read_junit(junit: Path) -> list[CaseOutcome]:
    if not junit.exists():
        return []
    outcomes = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        reqs: tuple[str, ...] = ()
        for prop in case.iter("property"):
            if prop.get("name") == REQ_PROPERTY:
                reqs = tuple((prop.get("value") or "").split())
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                message = (child.get("message") or "")[:500]
                if child.tag != "skipped":
                    break
        outcomes.append(CaseOutcome(_nodeid(case.get("classname", ""), case.get("name", "")), reqs, outcome,
                                    message))
    return outcomes


def failed_tests(junit: Path) -> list[str]:
    return [t.nodeid for t in read_junit(junit) if t.failed]


def _tail(path: str | Path, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ------------------------------------------------------------------------------------------- the pool


class WorkerDied(RuntimeError):
    pass


class _Lane:
    """One job: a preloaded worker process (which forks the job's simulator once); one mutant at a time."""

    def __init__(self, index: int, scratch: Path, ca_file: Path, timeout: float, early_stop: bool = True) -> None:
        self.index = index
        self.early_stop = early_stop
        self.dir = scratch / f"lane{index}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_file = ca_file
        self.timeout = timeout
        self.worker: subprocess.Popen | None = None
        self.startup_seconds: dict[str, float] = {}
        self.restarts = 0

    # -- lifecycle
    def _ensure_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            return
        started = time.monotonic()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        log = (self.dir / "worker.log").open("ab")
        self.worker = subprocess.Popen([sys.executable, "-m", "fiwano_conformance.selftest.worker"], cwd=ROOT, env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                       start_new_session=True)
        log.close()
        hello = self._read(120)
        if not hello.get("ready"):
            raise WorkerDied(f"mutant worker did not come up: {hello}")
        self.startup_seconds["worker"] = round(time.monotonic() - started, 3)

    def _send(self, request: dict) -> None:
        assert self.worker is not None and self.worker.stdin is not None
        self.worker.stdin.write((json.dumps(request) + "\n").encode())
        self.worker.stdin.flush()

    def _read(self, timeout: float) -> dict:
        assert self.worker is not None and self.worker.stdout is not None
        ready, _, _ = select.select([self.worker.stdout], [], [], timeout)
        line = self.worker.stdout.readline() if ready else b""
        if not line:
            self._kill_worker()
            raise WorkerDied(f"mutant worker gave no answer within {timeout:.0f} s "
                             f"(log {self.dir / 'worker.log'}):\n{_tail(self.dir / 'worker.log')}")
        return json.loads(line)

    def _kill_worker(self) -> None:
        """SIGTERM: the worker stops its children (reference, pytest run, simulator) before it leaves."""
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(timeout=10)

    def close(self) -> None:
        if self.worker is None or self.worker.poll() is not None:
            return
        try:
            self._send({"op": "stats"})
            cpu = self._read(10).get("simulator_cpu")
            if cpu is not None:
                self.startup_seconds["simulator_cpu"] = round(float(cpu), 3)
            self._send({"op": "exit"})
            assert self.worker.stdin is not None
            self.worker.stdin.close()
            self.worker.wait(timeout=15)
        except (OSError, ValueError, WorkerDied, subprocess.TimeoutExpired):
            self._kill_worker()

    # -- one mutant
    def call(self, request: dict, workdir: Path) -> dict:
        """Send one ``run`` request (``mutant`` or ``patch``, ``nodes``, ``pytest_args``) to this lane's worker
        and return its answer; a stale worker (the kit's code changed) is restarted and asked again."""
        self._ensure_worker()
        request = {"op": "run", "workdir": str(workdir), "simulator_dir": str(self.dir),
                   "ca_file": str(self.ca_file), "timeout": self.timeout, **request}
        for _ in range(3):
            self._send(request)
            answer = self._read(self.timeout + 90)
            if not answer.get("stale"):
                break
            self.restarts += 1  # kit code changed since the worker preloaded it: start a fresh one
            assert self.worker is not None
            self.worker.wait(timeout=30)
            self._ensure_worker()
        return answer

    def run(self, mutant: Mutant, tests_by_req: dict[str, list[str]], smoke: tuple[str, ...]) -> MutantResult:
        mapped, smoke_nodes = selection(_tests_for(mutant.requirements, tests_by_req), smoke)
        # the smoke set first: with early stop its result is still always known
        result = MutantResult(mutant=mutant, tests_run=[*smoke_nodes, *mapped], mapped_tests=mapped,
                              smoke_tests=smoke_nodes)
        if not mapped:
            result.error = f"no suite test names {', '.join(mutant.requirements)}"
            return result
        workdir = self.dir / mutant.name
        result.workdir = str(workdir)
        started = time.monotonic()
        request = {"mutant": mutant.name, "nodes": result.tests_run}
        if self.early_stop:
            request["pytest_args"] = ["-p", "fiwano_conformance.selftest.stopper",
                                      f"--mutant-requirements={','.join(mutant.requirements)}"]
        if mutant.profile != "default":  # a rule of a later profile: reference and suites both run that profile
            request["profile"] = mutant.profile
            request["pytest_args"] = [*request.get("pytest_args", []), f"--fiwano-profile={mutant.profile}"]
        try:
            answer = self.call(request, workdir)
        except (WorkerDied, OSError, ValueError, subprocess.TimeoutExpired) as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            result.seconds["total"] = round(time.monotonic() - started, 3)
            return result
        if "simulator" in answer:
            self.startup_seconds["simulator"] = answer["simulator"]["start_seconds"]
        result.seconds = answer.get("seconds", {})
        result.pytest_exit = answer.get("pytest_exit")
        result.output_tail = _tail(answer.get("pytest_log", workdir / "pytest.log"))
        result.outcomes = read_junit(Path(answer.get("junit", workdir / "junit.xml")))
        if answer.get("stale"):
            result.error = "the kit's code kept changing while the worker restarted three times: run it again"
        elif answer.get("error"):
            result.error = answer["error"]
        elif answer.get("timed_out"):
            result.error = f"the pytest run took longer than {self.timeout:.0f} s"
        elif result.pytest_exit not in (0, 1):
            result.error = f"pytest exited with {result.pytest_exit} (not 0 or 1: the run itself broke)"
        return result


class MutantPool:
    """Runs mutants on ``jobs`` lanes side by side (each with its own simulator and preloaded worker)."""

    def __init__(self, jobs: int, scratch: Path, smoke: tuple[str, ...] = SMOKE_TESTS, timeout: float = 300,
                 early_stop: bool = True) -> None:
        self.jobs = max(1, jobs)
        self.early_stop = early_stop
        self.scratch = Path(scratch)
        self.smoke = smoke
        self.timeout = timeout
        self.lanes: list[_Lane] = []

    def run(self, mutants: list[Mutant],
            on_result: Callable[[MutantResult], None] | None = None) -> list[MutantResult]:
        self.scratch.mkdir(parents=True, exist_ok=True)
        ca_file = ensure_kit_ca(self.scratch / "ca")
        tests_by_req = scan_suites(ROOT / "suites").tests_by_req
        todo: queue.Queue[tuple[int, Mutant]] = queue.Queue()
        for index, mutant in enumerate(mutants):
            todo.put((index, mutant))
        results: list[MutantResult | None] = [None] * len(mutants)
        lock = threading.Lock()
        self.lanes = [_Lane(i, self.scratch, ca_file, self.timeout, self.early_stop)
                      for i in range(min(self.jobs, len(mutants)))]

        def drive(lane: _Lane) -> None:
            try:
                while True:
                    try:
                        index, mutant = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        result = lane.run(mutant, tests_by_req, self.smoke)
                    except Exception as exc:  # noqa: BLE001 - one mutant's breakage must not stop the rest
                        result = MutantResult(mutant=mutant, tests_run=[], error=f"{type(exc).__name__}: {exc}")
                    results[index] = result
                    if on_result is not None:
                        with lock:
                            on_result(result)
            finally:
                lane.close()

        threads = [threading.Thread(target=drive, args=(lane,), name=f"mutant-lane-{lane.index}", daemon=True)
                   for lane in self.lanes]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:  # Ctrl-C: stop the workers now (they stop their children)
            while not todo.empty():
                todo.get_nowait()
            for lane in self.lanes:
                lane._kill_worker()
            raise
        return [r for r in results if r is not None]

    @property
    def startup_seconds(self) -> list[dict[str, float]]:
        return [{**lane.startup_seconds, "restarts": float(lane.restarts)} for lane in self.lanes]


def run_mutants(mutants: list[Mutant], scratch: Path, jobs: int = 2, timeout: float = 300,
                on_result: Callable[[MutantResult], None] | None = None, early_stop: bool = True) -> list[MutantResult]:
    return MutantPool(jobs, scratch, timeout=timeout, early_stop=early_stop).run(mutants, on_result)


def run_mutant(mutant: Mutant, workdir: Path, timeout: float = 300) -> MutantResult:
    """One mutant on its own (a one-lane pool); kept for callers of the first runner."""
    return run_mutants([mutant], Path(workdir), jobs=1, timeout=timeout)[0]
