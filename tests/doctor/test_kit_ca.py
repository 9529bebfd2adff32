"""One kit CA story: one directory reused across runs, created once even when processes race, and a
"nothing reached the sink" failure that names the CA file to trust."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fiwano_conformance.shared import kit_ca
from suites.config import SuiteConfig
from suites.sink import Sink, SinkTimeout


def test_the_default_directory_is_the_users_cache_and_can_be_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv(kit_ca.CA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert kit_ca.default_ca_dir() == tmp_path / "cache" / "fiwano-conformance" / "kit-ca"
    assert SuiteConfig.load({}, env={}).sink_ca_dir == kit_ca.default_ca_dir()
    monkeypatch.setenv(kit_ca.CA_DIR_ENV, str(tmp_path / "mine"))
    assert kit_ca.default_ca_dir() == tmp_path / "mine"


def test_ca_create_is_idempotent_and_prints_the_file_to_trust(tmp_path):
    command = [sys.executable, "-m", "fiwano_conformance", "ca", "create", str(tmp_path / "ca")]
    first = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    pem = Path(first).read_bytes()
    second = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    assert first == second == str(tmp_path / "ca" / "kit-ca.pem")
    assert Path(second).read_bytes() == pem, "a second create replaced the CA a target already trusts"
    assert (tmp_path / "ca" / "kit-ca.key").stat().st_mode & 0o077 == 0
    path = subprocess.run([sys.executable, "-m", "fiwano_conformance", "ca", "path", str(tmp_path / "other")],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert path == str(tmp_path / "other" / "kit-ca.pem") and not Path(path).exists()


def test_processes_racing_to_create_the_ca_end_with_one_ca(tmp_path):
    script = ("import sys; from fiwano_conformance.shared.kit_ca import ensure_ca; "
              "sys.stdout.write(ensure_ca(sys.argv[1]).cert_pem.bytes().decode())")
    racers = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "ca")], stdout=subprocess.PIPE,
                               text=True) for _ in range(6)]
    certificates = {racer.communicate(timeout=60)[0] for racer in racers}
    assert all(racer.returncode == 0 for racer in racers)
    assert certificates == {(tmp_path / "ca" / "kit-ca.pem").read_text()}
    assert sorted(p.name for p in (tmp_path / "ca").iterdir()) == [".kit-ca.lock", "kit-ca.key", "kit-ca.pem"]


def test_the_sinks_and_the_mutant_runner_share_the_one_implementation(tmp_path):
    from loadtests.sink import Sink as LoadSink
    from fiwano_conformance.selftest.runner import ensure_kit_ca

    cert = ensure_kit_ca(tmp_path)
    assert LoadSink(tmp_path).ca_file.read_bytes() == cert.read_bytes()
    assert Sink(tmp_path).ca_file.read_bytes() == cert.read_bytes()


def test_nothing_at_the_sink_names_the_ca_file_to_trust(tmp_path):
    with Sink(tmp_path / "ca", default_timeout=0.05) as sink:
        endpoint = sink.endpoint()
        with pytest.raises(SinkTimeout) as failure:
            endpoint.wait_for(1, what="RELAY-X")
    message = str(failure.value)
    assert f"the target must trust the kit CA {(tmp_path / 'ca' / 'kit-ca.pem').resolve()}" in message
    assert "--allow-webhook-host" in message
