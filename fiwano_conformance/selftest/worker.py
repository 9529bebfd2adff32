"""A mutant worker: a preloaded Python process that runs mutants by forking, one request at a time.

``python -m fiwano_conformance.selftest.worker`` imports once everything a mutant run needs (pytest with its plugins,
hypothesis and schemathesis, the suites' support modules, the reference and its web stack), then reads one
JSON request per line on stdin and answers one JSON line on stdout. For each ``run`` request it:

1. forks the **mutated reference**: the child applies the mutant (``apply()``), then runs the ordinary CLI
   (``fiwano-conformance reference ... --test-mode``) on a free loopback port, exactly as
   ``python -m fiwano_conformance.selftest.launch NAME reference ...`` would, minus the interpreter start and imports;
2. resets the job's simulator (forked once by the worker and shared by all the mutants of this job: it is
   never mutated, and the suites create fresh worlds) and points its webhooks at the new reference;
3. forks the **pytest run** of the given suite node ids against those URLs (a black-box run, as before);
4. stops the reference and answers with the pytest exit code and where the junit file and logs are.

Why: on this kit's machines a fresh ``python -m pytest`` spends 2-3 s importing (and, with
``PYTHONDONTWRITEBYTECODE=1``, assertion-rewriting) hypothesis and schemathesis before it runs one test,
and a fresh reference ~1 s importing FastAPI and the reference. Forking a preloaded process skips both.

The kit's own modules are preloaded too; when one of its files changes (helpers edit the suites while
mutants run), the worker answers ``{"stale": true}`` and exits, and the runner starts a fresh one.

The worker itself never starts a thread (forking a threaded process is unsafe), and every child gets its
own session, stdin from /dev/null and its output in a log file, so the protocol pipe stays clean. Nothing
outlives the run: the worker asks Linux to SIGTERM it when the runner's thread dies (``PR_SET_PDEATHSIG``),
and the same for each child when the worker dies; on SIGTERM the worker stops its children first.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_VERSION = 1
_protocol_fd: int | None = None  # the answer pipe: closed in every child
_children: set[int] = set()  # live children (each leads its own process group)
_simulator: dict = {}  # the job's simulator: pid, url, app_id, app_secret, verify_token, log
PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Linux: get ``sig`` when the process (thread) that started us ends; a no-op elsewhere."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def preload() -> None:
    """Import what both children need, so a fork starts them warm. Never builds an app or starts a thread."""
    import pytest  # noqa: F401
    import _pytest.junitxml
    import _pytest.python  # noqa: F401
    from importlib.metadata import entry_points

    for entry in entry_points(group="pytest11"):  # the plugins pytest will load anyway
        try:
            entry.load()
        except Exception:  # noqa: BLE001 - a broken plugin is pytest's business in the child, not the worker's
            pass
    import httpx  # noqa: F401

    import suites.clients
    import suites.config
    import suites.fixtures
    import suites.plugin  # noqa: F401
    from contract import load_requirements

    load_requirements()
    import fiwano_conformance.cli
    import fiwano_conformance.serve_cmd
    import fiwano_conformance.serving
    import simulator.app
    import simulator.settings  # noqa: F401
    import fiwano_conformance.selftest.catalogue  # noqa: F401

    # The reference's third-party stack stays loaded, but the reference itself is forgotten again: each
    # mutated child imports it afresh, exactly as ``python -m fiwano_conformance.selftest.launch`` would, so a mutant that
    # patches a module before ``reference.app`` imports a name from it behaves the same here.
    import reference.app
    import reference.settings  # noqa: F401

    for name in [n for n in sys.modules if n == "reference" or n.startswith("reference.")]:
        del sys.modules[name]


# the kit's own code: preloaded, so a change to it makes the worker stale (it then exits and is restarted);
# the mutants themselves (defects/) are imported afresh by each reference child
WATCHED = ("suites", "reference", "simulator", "contract", "fiwano_conformance", "tests/mutants")


def source_snapshot() -> dict[str, int]:
    snapshot = {}
    for top in WATCHED:
        for path in (ROOT / top).rglob("*"):
            skipped = {"__pycache__", "defects", "untargeted"} & set(path.parts)
            if path.suffix in (".py", ".yaml", ".yml", ".json") and not skipped and path.name != "audit-triage.yaml":
                try:
                    snapshot[str(path)] = path.stat().st_mtime_ns
                except OSError:
                    pass
    return snapshot


def changed_since(snapshot: dict[str, int]) -> list[str]:
    now = source_snapshot()
    return sorted(p for p in set(now) | set(snapshot) if now.get(p) != snapshot.get(p))


# ------------------------------------------------------------------------------------------ children


def _fork(log: Path, body) -> int:
    """Fork a child in its own session that runs ``body()`` with stdio on ``log``; returns its pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        _children.add(pid)
        return pid
    code = 70
    try:
        os.setsid()
        _die_with_parent()
        if _protocol_fd is not None:
            os.close(_protocol_fd)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.close(null)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        result = body()
        code = int(result or 0)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child must never return into the worker's loop
        traceback.print_exc()
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reap(pid: int) -> int | None:
    """Exit code of ``pid`` if it has ended (and reap it), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        _children.discard(pid)
        return -1
    if done == 0:
        return None
    _children.discard(pid)
    return os.waitstatus_to_exitcode(status)


def _stop(pid: int, grace: float = 5.0) -> int | None:
    """SIGTERM the child's process group, then SIGKILL after ``grace`` seconds; reap it."""
    code = _reap(pid)
    if code is not None:
        return code
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            code = _reap(pid)
            if code is not None:
                return code
            time.sleep(0.01)
    return None


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ------------------------------------------------------------------------------------------ one mutant


def load_patched_module(module: str, path: str, source: str) -> None:
    """Make ``source`` (a mutated copy of the module's file, from the mutation audit) the module ``module``
    before anything imports it: the file on disk, which other lanes and the worker's staleness check read,
    never changes. ``CosmicRayTestingException`` is what cosmic-ray's exception-replacement operator puts in an
    ``except`` clause: an exception nothing raises."""
    import builtins
    import importlib
    import importlib.util

    builtins.CosmicRayTestingException = type("CosmicRayTestingException", (Exception,), {})  # type: ignore[attr-defined]
    parent, _, leaf = module.rpartition(".")
    package = importlib.import_module(parent) if parent else None
    spec = importlib.util.spec_from_file_location(module, path)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module] = mod
    if package is not None:
        setattr(package, leaf, mod)
    exec(compile(source, path, "exec"), mod.__dict__)  # the audit's mutated module, by design


def follow_contexts(cov, directory: Path) -> None:
    """In the reference child of an audit coverage run: switch coverage.py's dynamic context to the suite test
    that ``fiwano_conformance.selftest.audit_context`` announces in ``directory/context``, and acknowledge in
    ``directory/ack`` (a daemon thread polling every 2 ms; the child may start threads, the worker may not)."""
    import threading

    def follow() -> None:
        last = ""
        while True:
            try:
                name = (directory / "context").read_text(encoding="utf-8")
            except OSError:
                name = ""
            if name and name != last:
                cov.switch_context(name)
                last = name
                tmp = directory / "ack.tmp"
                tmp.write_text(name, encoding="utf-8")
                os.replace(tmp, directory / "ack")
            time.sleep(0.002)

    threading.Thread(target=follow, name="audit-coverage-contexts", daemon=True).start()


def _start_reference(req: dict, workdir: Path) -> tuple[int, str]:
    ready = workdir / "reference.ready.json"
    ready.unlink(missing_ok=True)
    args = ["reference", "--db", str(workdir / "reference.sqlite3"), "--meta-graph-url", req["simulator_url"],
            "--meta-app-id", str(req["app_id"]), "--meta-app-secret", req["app_secret"],
            "--meta-verify-token", req["verify_token"], "--profile", req.get("profile", "default"), "--test-mode",
            "--webhook-ca-file", req["ca_file"]]
    for host in req.get("allow_webhook_hosts", ["127.0.0.1", "localhost"]):
        args += ["--allow-webhook-host", host]
    args += ["--port", "0", "--ready-file", str(ready)]
    name, patch, coverage_file = req.get("mutant", ""), req.get("patch"), req.get("coverage_file")

    def body() -> int:
        import importlib

        importlib.invalidate_caches()  # mutants added since the worker started
        cov = None
        if coverage_file:  # the audit's coverage map: which lines of the reference a suite module executes
            import coverage

            cov = coverage.Coverage(data_file=coverage_file, include=[str(ROOT / "reference" / "*")],
                                    branch=False, config_file=False)
            cov.start()
            follow_contexts(cov, Path(coverage_file).parent)
        if patch:
            load_patched_module(patch["module"], patch["path"], patch["source"])
        elif name:
            from fiwano_conformance.selftest.catalogue import load

            load(name).module.apply()
        from fiwano_conformance.cli import main as cli_main

        try:
            return cli_main(args)
        finally:
            if cov is not None:
                cov.stop()
                cov.save()

    log = workdir / "reference.log"
    pid = _fork(log, body)
    deadline = time.monotonic() + float(req.get("start_timeout", 30))
    while time.monotonic() < deadline:
        code = _reap(pid)
        if code is not None:
            raise RuntimeError(f"the mutated reference exited with {code} during start:\n{_log_tail(log)}")
        if ready.exists():
            return pid, json.loads(ready.read_text())["url"]
        time.sleep(0.01)
    _stop(pid)
    raise RuntimeError(f"the mutated reference did not start within {req.get('start_timeout', 30)} s:\n"
                       f"{_log_tail(log)}")


def _ensure_simulator(workdir: Path, start_timeout: float) -> dict:
    """The job's simulator, forked on first use (and again if it died)."""
    if _simulator and _reap(_simulator["pid"]) is None:
        return _simulator
    _simulator.clear()
    workdir.mkdir(parents=True, exist_ok=True)
    app_secret, verify_token = secrets.token_hex(16), secrets.token_hex(12)
    ready = workdir / "simulator.ready.json"
    ready.unlink(missing_ok=True)
    log = workdir / "simulator.log"
    args = ["simulator", "--app-secret", app_secret, "--verify-token", verify_token, "--port", "0",
            "--ready-file", str(ready)]

    def body() -> int:
        from fiwano_conformance.cli import main as cli_main

        return cli_main(args)

    started = time.monotonic()
    pid = _fork(log, body)
    deadline = started + start_timeout
    while time.monotonic() < deadline:
        code = _reap(pid)
        if code is not None:
            raise RuntimeError(f"the simulator exited with {code} during start:\n{_log_tail(log)}")
        if ready.exists():
            import httpx

            url = json.loads(ready.read_text())["url"]
            app_id = str(httpx.get(f"{url}/_sim/app", timeout=10).json()["app_id"])
            _simulator.update(pid=pid, url=url, app_id=app_id, app_secret=app_secret, verify_token=verify_token,
                              log=str(log), seconds=round(time.monotonic() - started, 3))
            return _simulator
        time.sleep(0.01)
    _stop(pid)
    raise RuntimeError(f"the simulator did not start within {start_timeout} s:\n{_log_tail(log)}")


def _prepare_simulator(simulator_url: str, reference_url: str) -> None:
    import httpx

    with httpx.Client(timeout=10) as client:
        client.post(f"{simulator_url}/_sim/reset").raise_for_status()
        client.put(f"{simulator_url}/_sim/app",
                   json={"target_webhook_url": f"{reference_url}/meta/webhook"}).raise_for_status()


def _run_pytest(req: dict, workdir: Path, reference_url: str) -> tuple[int | None, bool]:
    junit = workdir / "junit.xml"
    junit.unlink(missing_ok=True)
    args = [*req["nodes"], "-q", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            f"--fiwano-target={reference_url}", f"--fiwano-simulator={req['simulator_url']}",
            f"--fiwano-harness={reference_url}", f"--fiwano-sink-ca-dir={Path(req['ca_file']).parent}",
            f"--junitxml={junit}", "--fiwano-skip-doctor", *req.get("pytest_args", [])]

    def body() -> int:
        import pytest

        os.chdir(ROOT)
        return int(pytest.main(args))

    pid = _fork(workdir / "pytest.log", body)
    deadline = time.monotonic() + float(req.get("timeout", 300))
    while time.monotonic() < deadline:
        code = _reap(pid)
        if code is not None:
            return code, False
        time.sleep(0.01)
    _stop(pid, grace=2.0)
    return None, True


def run_one(req: dict) -> dict:
    workdir = Path(req["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    answer: dict = {"ok": False, "pytest_exit": None, "timed_out": False, "error": "",
                    "junit": str(workdir / "junit.xml"), "pytest_log": str(workdir / "pytest.log"),
                    "reference_log": str(workdir / "reference.log"), "seconds": {}}
    started = time.monotonic()
    cpu = os.times()
    ref_pid = None
    try:
        if not req.get("simulator_url"):
            sim = _ensure_simulator(Path(req.get("simulator_dir") or workdir.parent),
                                    float(req.get("start_timeout", 30)))
            req = {**req, "simulator_url": sim["url"], "app_id": sim["app_id"], "app_secret": sim["app_secret"],
                   "verify_token": sim["verify_token"]}
            answer["simulator"] = {"pid": sim["pid"], "url": sim["url"], "start_seconds": sim["seconds"]}
        ref_pid, url = _start_reference(req, workdir)
        answer["seconds"]["reference_start"] = round(time.monotonic() - started, 3)
        mark = time.monotonic()
        _prepare_simulator(req["simulator_url"], url)
        answer["seconds"]["simulator_reset"] = round(time.monotonic() - mark, 3)
        mark = time.monotonic()
        answer["pytest_exit"], answer["timed_out"] = _run_pytest(req, workdir, url)
        answer["seconds"]["pytest"] = round(time.monotonic() - mark, 3)
        answer["ok"] = True
    except Exception as exc:  # noqa: BLE001 - reported to the runner as this mutant's error
        answer["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if ref_pid is not None:
            mark = time.monotonic()
            _stop(ref_pid, grace=20.0 if req.get("coverage_file") else 5.0)
            answer["seconds"]["reference_stop"] = round(time.monotonic() - mark, 3)
    answer["seconds"]["total"] = round(time.monotonic() - started, 3)
    after = os.times()  # CPU of the reaped children (reference and pytest run), load-independent-ish
    answer["seconds"]["cpu"] = round(after.children_user + after.children_system
                                     - cpu.children_user - cpu.children_system, 3)
    return answer


def _shutdown(*_: object) -> None:
    """Stop every child (the simulator last) and leave."""
    for pid in sorted(_children, key=lambda p: p == _simulator.get("pid")):
        _stop(pid, grace=2.0)
    os._exit(0)


def _simulator_cpu() -> float | None:
    try:
        fields = Path(f"/proc/{_simulator['pid']}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, KeyError, IndexError, ValueError):
        return None


def main() -> int:
    global _protocol_fd
    _protocol_fd = os.dup(1)
    protocol = os.fdopen(_protocol_fd, "w", buffering=1)
    os.dup2(2, 1)  # stray prints of preloaded modules must not corrupt the protocol
    sys.stdout = sys.stderr
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the runner died before prctl took effect
        return 1
    signal.signal(signal.SIGTERM, _shutdown)
    if sys.dont_write_bytecode:  # PYTHONDONTWRITEBYTECODE=1: cache compiled and assertion-rewritten modules
        import tempfile  # outside the checkout, so each forked pytest run does not rewrite the suites again

        sys.dont_write_bytecode = False
        sys.pycache_prefix = os.path.join(tempfile.gettempdir(), f"fiwano-mutants-pycache-{os.getuid()}")
    started = time.monotonic()
    snapshot = source_snapshot()
    preload()
    protocol.write(json.dumps({"ready": True, "protocol": PROTOCOL_VERSION, "pid": os.getpid(),
                               "preload_seconds": round(time.monotonic() - started, 3)}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") == "exit":
            break
        if req.get("op") == "stats":
            protocol.write(json.dumps({"simulator_cpu": _simulator_cpu()}) + "\n")
            continue
        changed = changed_since(snapshot)
        if changed:  # the preloaded kit code is out of date: let the runner start a fresh worker
            protocol.write(json.dumps({"stale": True, "changed": changed[:20]}) + "\n")
            break
        try:
            answer = run_one(req)
        except BaseException as exc:  # noqa: BLE001
            answer = {"ok": False, "error": f"worker: {type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(answer) + "\n")
    _shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
