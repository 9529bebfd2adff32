"""Issue 13's table: each configuration mistake ends ``fiwano-conformance run`` with exit 2 and ONE clear
line, in at most 15 s, before a single test runs (house rule 5); the pytest plugin does the same once, on
the xdist controller.

Every row runs the real command in a child process against real servers: a reference and a simulator
started as separate processes (shared by the module), a ``python3 -m http.server`` and a closed port.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from fiwano_conformance import embedded
from fiwano_conformance.shared import kit_ca

BUDGET_SECONDS = 15.0


@dataclass
class Servers:
    reference: str
    simulator: str
    http_server: str
    closed: str
    ca_dir: Path  # the kit CA the reference trusts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("doctor-servers")
    ca = kit_ca.ensure_ca_file(workdir / "ca")
    secret, token = secrets.token_hex(16), secrets.token_hex(12)
    simulator = embedded.start_simulator(workdir, secret, token)
    reference = None
    port = _free_port()
    web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                           cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        reference = embedded.start_reference(workdir, simulator.url, secret, token, ca, ["127.0.0.1"], "default")
        embedded.point_simulator_at(simulator.url, reference.url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait until http.server listens (a start-up poll, not a timing rule)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Servers(reference=reference.url, simulator=simulator.url, http_server=f"http://127.0.0.1:{port}",
                      closed=f"http://127.0.0.1:{_free_port()}", ca_dir=ca.parent)
    finally:
        web.terminate()
        web.wait(timeout=10)
        if reference is not None:
            reference.stop()
        simulator.stop()


def _bad_yaml(tmp_path: Path) -> str:
    path = tmp_path / "fiwano.yaml"
    path.write_text("target: http://127.0.0.1:9200\nlevel: [controlled\nprofile: default\n")
    return str(path)


def _unknown_key(tmp_path: Path) -> str:
    path = tmp_path / "fiwano.yaml"
    path.write_text("target: http://127.0.0.1:9200\nsimulater: http://127.0.0.1:9100\n")
    return str(path)


# row -> (run arguments given the servers and a scratch dir, what the one line must say)
ROWS = {
    "target down": (lambda s, d: ["--target", s.closed],
                    "nothing answers at 127.0.0.1:"),
    "wrong port (the simulator's)": (lambda s, d: ["--target", s.simulator],
                                     "does not speak Fiwano"),
    "python3 -m http.server as target": (lambda s, d: ["--target", s.http_server],
                                         "does not speak Fiwano: GET /api/v1/channels without an API key answered 404"),
    "wrong API keys (api level)": (lambda s, d: ["--target", s.reference, "--level", "api",
                                                 "--fiwano-api-key=mip_live_" + "0" * 32],
                                   "API key #1 (mip_live_<redacted>) is rejected by the target: 401"),
    "harness present but simulator missing": (lambda s, d: ["--target", s.reference],
                                              "the controlled level needs the kit's simulator"),
    "harness present, simulator down": (lambda s, d: ["--target", s.reference, "--simulator", s.closed],
                                        "is the simulator running"),
    "unknown profile": (lambda s, d: ["--target", s.reference, "--simulator", s.simulator, "--profile", "nosuch"],
                        "no profile 'nosuch'"),
    "malformed YAML config": (lambda s, d: ["--config", _bad_yaml(d)],
                              "fiwano.yaml:3: not valid YAML"),
    "unknown key in the YAML config": (lambda s, d: ["--config", _unknown_key(d)],
                                       "fiwano.yaml:2: unknown setting(s) 'simulater'"),
}


def _one_line(completed: subprocess.CompletedProcess) -> str:
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{completed.stderr}\nstdout:\n{completed.stdout}"
    return lines[0]


@pytest.mark.parametrize("row", list(ROWS))
def test_run_stops_with_exit_2_and_one_line(row, servers, tmp_path):
    make_args, expected = ROWS[row]
    results = tmp_path / "results"
    command = [sys.executable, "-m", "fiwano_conformance", "run", "--results", str(results), "-q",
               *make_args(servers, tmp_path)]
    started = time.monotonic()
    completed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    elapsed = time.monotonic() - started

    assert completed.returncode == 2, completed.stdout + completed.stderr
    line = _one_line(completed)
    assert line.startswith("fiwano-conformance: configuration error: ") and expected in line, line
    assert elapsed <= BUDGET_SECONDS, f"{row}: {elapsed:.1f} s"
    assert not (results / "junit.xml").exists(), "a test ran"


def test_a_ca_the_target_does_not_trust_is_named(servers, tmp_path):
    """Another kit CA than the one the reference trusts: the round trip fails naming the CA file to trust."""
    ca_dir = tmp_path / "other-ca"
    completed = subprocess.run([sys.executable, "-m", "fiwano_conformance", "doctor", "--target", servers.reference,
                                "--simulator", servers.simulator, f"--sink-ca-dir={ca_dir}"],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2
    assert f"it must trust the kit CA {kit_ca.ca_file(ca_dir).resolve()}" in _one_line(completed)


def test_a_good_setup_passes_every_check_including_the_round_trip(servers):
    """The reference wired to the simulator and trusting the kit CA: every check passes."""
    completed = subprocess.run([sys.executable, "-m", "fiwano_conformance", "doctor", "--target", servers.reference,
                                "--simulator", servers.simulator, f"--sink-ca-dir={servers.ca_dir}"],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "level     controlled:" in out
    assert "a message from the simulator reached the kit sink over TLS" in out
    assert "all checks passed" in out


def test_the_pytest_plugin_stops_the_session_once_with_exit_2(servers, tmp_path):
    """``pytest --pyargs suites`` with two xdist workers: one line from the controller, no test run."""
    completed = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "suites", "-n", "2", "-p",
                                "no:cacheprovider", f"--fiwano-target={servers.http_server}",
                                f"--junitxml={tmp_path / 'junit.xml'}"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    line = _one_line(completed)
    assert line.startswith("fiwano configuration error: target: ") and "does not speak Fiwano" in line
    assert "--fiwano-skip-doctor" in line
    assert not (tmp_path / "junit.xml").exists()
