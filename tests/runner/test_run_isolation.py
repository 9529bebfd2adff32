"""`fiwano-conformance run` as a user runs it from their own directory: isolated, honest, stoppable.

* a ``pytest.ini`` in the working directory (``addopts = --maxfail=1 -k ...``) and a user package named
  ``reports`` on PYTHONPATH and in the working directory change nothing;
* a run with ``-k`` is PARTIAL, never CONFORMANT, and says why;
* the counts agree between the terminal, results.json, junit.xml and report.html;
* SIGTERM or SIGINT to ``run`` (embedded pair, two xdist workers) and SIGTERM to ``load --web`` leave no
  process of the kit after 5 s.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest

# Heavy: whole runs with the embedded pair; one after another on one worker (see pyproject.toml)
pytestmark = pytest.mark.xdist_group("heavy")

FAST_TESTS = "test_request_without_key_is_401"  # api-level, a few seconds on the embedded pair


def _user_directory(tmp_path: Path) -> Path:
    """A user's project directory with a hostile pytest.ini and a package named like the kit's ``reports``."""
    cwd = tmp_path / "project"
    (cwd / "reports").mkdir(parents=True)
    (cwd / "reports" / "__init__.py").write_text('raise ImportError("the user\'s own reports package")\n')
    # leaked, this would stop at the first failure and deselect every test of the kit
    (cwd / "pytest.ini").write_text("[pytest]\naddopts = --maxfail=1 -k no_test_is_called_this\n")
    (cwd / "conftest.py").write_text('raise RuntimeError("the user\'s conftest.py must not be loaded")\n')
    return cwd


def _env(cwd: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(cwd), "PYTEST_ADDOPTS": "-k no_test_is_called_this_either"}


def test_run_ignores_the_users_pytest_config_and_packages_and_k_is_partial_with_one_set_of_counts(tmp_path):
    cwd = _user_directory(tmp_path)
    results = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "fiwano_conformance", "run", "--results", str(results), "-k", FAST_TESTS],
        cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=600, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert "Verdict: PARTIAL" in output and "CONFORMANT" not in output.replace("NOT CONFORMANT", ""), output[-3000:]
    assert f"only part of the suites was judged: -k {FAST_TESTS}" in output
    assert "level=controlled (embedded reference in test mode)" in output  # the resolved level, not "auto"
    assert "record_property" not in output and "warning" not in output.lower()

    data = json.loads((results / "results.json").read_text())
    assert data["verdict"] == "partial"
    assert data["selection"]["reasons"] == [f"-k {FAST_TESTS}"]
    counts = data["counts"]
    passed = counts["pass"]
    assert passed >= 5 and sum(counts.values()) == passed == len(data["tests"])
    # the terminal: the kit's line and pytest's own
    assert f"Tests: {passed} passed, 0 failed, 0 errors, 0 not-claimed, 0 xfail, 0 skipped ({passed} in all" in output
    assert re.search(rf"=+ {passed} passed, \d+ deselected in ", output), output[-2000:]
    # junit.xml: one case per test, the same totals
    suite = ET.parse(results / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        (str(passed), "0", "0", "0")
    assert len(suite.findall("testcase")) == passed
    # report.html: the same badges and the PARTIAL verdict
    html = (results / "report.html").read_text()
    assert f'{passed} pass</span>' in html and 'id="verdict">PARTIAL' in html


def _kit_processes(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _alive(processes: list[psutil.Process]) -> list[str]:
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid} {' '.join(process.cmdline())[:160]}")
        except psutil.Error:
            continue
    return left


def _start_and_wait_for(command: list[str], cwd: Path, ready, timeout: float = 180.0) -> tuple[subprocess.Popen, list]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    root = psutil.Process(process.pid)
    deadline = time.monotonic() + timeout
    seen: dict[int, psutil.Process] = {}
    while time.monotonic() < deadline:
        for child in _kit_processes(root):
            seen.setdefault(child.pid, child)
        if ready(list(seen.values())):
            return process, list(seen.values())
        assert process.poll() is None, f"exited early with {process.returncode}"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("the run did not get going in time")


def _cmdlines(processes: list[psutil.Process]) -> list[str]:
    out = []
    for process in processes:
        try:
            out.append(" ".join(process.cmdline()))
        except psutil.Error:
            continue
    return out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_run_stops_pytest_its_workers_and_the_embedded_servers_within_5_s(tmp_path, signum):
    def servers_up(processes):
        lines = _cmdlines(processes)
        return sum(" reference " in f" {line} " for line in lines) >= 2 and \
            sum(" simulator " in f" {line} " for line in lines) >= 2

    process, processes = _start_and_wait_for(
        [sys.executable, "-m", "fiwano_conformance", "run", "--results", str(tmp_path / "r"), "-n", "2", "-q"],
        tmp_path, servers_up)
    assert len(processes) >= 7  # run, pytest, 2 workers, 2 x (simulator + reference)
    process.send_signal(signum)  # SIGTERM: a CI cancelling the job; SIGINT: Ctrl-C
    started = time.monotonic()
    process.wait(timeout=10)
    deadline = started + 5.0
    while _alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive(processes) == [], "still running 5 s after SIGTERM"
    assert process.returncode == 2


def test_sigterm_to_load_web_stops_locust_and_the_embedded_pair_within_5_s(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def locust_and_pair_up(processes):
        lines = _cmdlines(processes)
        return any("locust" in line for line in lines) and any(" reference " in f" {line} " for line in lines) and \
            any(" simulator " in f" {line} " for line in lines)

    process, processes = _start_and_wait_for(
        [sys.executable, "-m", "fiwano_conformance", "load", "--web", "--out", str(tmp_path / "load"),
         f"--locust-arg=--web-port={port}", "--locust-arg=--web-host=127.0.0.1"], tmp_path, locust_and_pair_up)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # Locust's web UI accepts connections: the run is fully up
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    process.wait(timeout=10)
    while _alive(processes) and time.monotonic() < started + 5.0:
        time.sleep(0.1)
    assert _alive(processes) == [], "still running 5 s after SIGTERM"
    assert process.returncode == 2
