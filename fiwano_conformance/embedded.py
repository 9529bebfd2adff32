"""Start the embedded pair: the simulator (fake Meta) and the reference Fiwano wired to it.

Both run as subprocesses (``python -m fiwano_conformance simulator|reference``) on free loopback ports,
so the suites stay black boxes: this module never imports ``reference``. The two share a freshly generated
Meta app secret and verify token; the simulator's webhooks go to the reference's ``/meta/webhook``.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_TIMEOUT_SECONDS = 30.0


class EmbeddedStartError(RuntimeError):
    """A part of the embedded pair did not come up; the message carries its log tail."""


@dataclass
class ManagedServer:
    """One server subprocess and what is needed to reach and stop it."""

    name: str
    process: subprocess.Popen
    url: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash would; used by durability tests."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class EmbeddedPair:
    simulator: ManagedServer
    reference: ManagedServer
    app_secret: str
    verify_token: str
    workdir: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def target_url(self) -> str:
        return self.reference.url

    @property
    def simulator_url(self) -> str:
        return self.simulator.url

    @property
    def harness_url(self) -> str:
        return self.reference.url

    def mark_stopped(self) -> None:
        """Someone else (a signal handler's sweep, see children.py) already stopped both servers."""
        self._stopped = True

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for server in (self.reference, self.simulator):  # both at once: a stop costs one grace period
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        self.reference.stop()
        self.simulator.stop()


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


DEFAULT_LAUNCHER = (sys.executable, "-m", "fiwano_conformance")


def start_server(name: str, part_args: list[str], workdir: Path, env: dict[str, str] | None = None,
                 timeout: float = START_TIMEOUT_SECONDS, launcher: tuple[str, ...] = DEFAULT_LAUNCHER) -> ManagedServer:
    """Start ``<launcher> <part_args>`` and wait until it reports its URL.

    The launcher is ``python -m fiwano_conformance`` unless a caller (the mutant self-test) starts the same
    command line through a wrapper that alters one component first.
    """
    ready_file = workdir / f"{name}.ready.json"
    ready_file.unlink(missing_ok=True)
    log_path = workdir / f"{name}.log"
    log = log_path.open("ab")
    command = [*launcher, *part_args, "--port", "0",
               "--ready-file", str(ready_file)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})}, start_new_session=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedStartError(f"{name} exited with {process.returncode} during start:\n{_log_tail(log_path)}")
        if ready_file.exists():
            url = json.loads(ready_file.read_text())["url"]
            return ManagedServer(name=name, process=process, url=url, log_path=log_path)
        time.sleep(0.05)
    process.kill()
    raise EmbeddedStartError(f"{name} did not start within {timeout} s:\n{_log_tail(log_path)}")


EMBEDDED_META_TIMEOUT_SECONDS = 3.0


def start_simulator(workdir: Path, app_secret: str, verify_token: str, workers: int = 1) -> ManagedServer:
    """One simulator process; ``workers`` > 1 (load runs only, docs/scaling.md): that many behind Caddy."""
    split = ["--workers", str(workers)] if workers > 1 else []
    return start_server("simulator", ["simulator", "--app-secret", app_secret, "--verify-token", verify_token,
                                      *split], workdir)


def start_reference(workdir: Path, simulator_url: str, app_secret: str, verify_token: str,
                    webhook_ca_file: Path | None, allow_webhook_hosts: list[str], profile: str,
                    db_path: Path | None = None, extra_env: dict[str, str] | None = None,
                    launcher: tuple[str, ...] = DEFAULT_LAUNCHER, app_id: str | None = None,
                    test_mode: bool = True) -> ManagedServer:
    """Start the reference wired to the simulator; ``test_mode=False`` serves no harness (as in production)."""
    if app_id is None:  # the OAuth dialog needs the simulator's app id as client_id
        app_id = str(httpx.get(f"{simulator_url}/_sim/app", timeout=10).json()["app_id"])
    args = ["reference", "--db", str(db_path or workdir / "reference.sqlite3"),
            "--meta-graph-url", simulator_url, "--meta-app-id", app_id, "--meta-app-secret", app_secret,
            "--meta-verify-token", verify_token, "--profile", profile, *(["--test-mode"] if test_mode else []),
            # the simulator answers in milliseconds; a short Meta timeout keeps the suites' "Meta never
            # answers" test (SEND-TRANSIENT-QUEUED) from waiting out the production default of 10 s
            "--meta-timeout", str(EMBEDDED_META_TIMEOUT_SECONDS)]
    if webhook_ca_file is not None:
        args += ["--webhook-ca-file", str(webhook_ca_file)]
    for host in allow_webhook_hosts:
        args += ["--allow-webhook-host", host]
    return start_server("reference", args, workdir, env=extra_env, launcher=launcher)


def point_simulator_at(simulator_url: str, target_url: str) -> None:
    """Tell the simulator where the target's Meta webhook endpoint is (every instance of a split simulator:
    the control client fans the app settings out)."""
    from simulator.client import SimulatorClient

    with SimulatorClient(simulator_url, timeout=10) as simulator:
        simulator.configure_app(target_webhook_url=f"{target_url}/meta/webhook")


def start_pair(workdir: Path, webhook_ca_file: Path | None = None,
               allow_webhook_hosts: list[str] | None = None, profile: str = "default",
               simulator_workers: int = 1) -> EmbeddedPair:
    """Start the simulator and the reference wired together; stopped at exit if the caller forgets."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    app_secret = secrets.token_hex(16)
    verify_token = secrets.token_hex(12)  # hex: never starts with "-", which argparse would take for an option
    simulator = start_simulator(workdir, app_secret, verify_token, simulator_workers)
    try:
        reference = start_reference(workdir, simulator.url, app_secret, verify_token, webhook_ca_file,
                                    allow_webhook_hosts if allow_webhook_hosts is not None else ["127.0.0.1", "localhost"],
                                    profile)
    except BaseException:
        simulator.stop()
        raise
    pair = EmbeddedPair(simulator=simulator, reference=reference, app_secret=app_secret,
                        verify_token=verify_token, workdir=workdir)
    atexit.register(pair.stop)
    try:
        point_simulator_at(simulator.url, reference.url)
    except BaseException:
        pair.stop()
        raise
    return pair
