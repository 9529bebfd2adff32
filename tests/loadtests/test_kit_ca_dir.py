"""The load tests use the one kit CA of every command (fiwano_conformance/shared/kit_ca.py), not a new CA per output
directory: a target configured once for `run` also trusts the load run's sink."""

from __future__ import annotations

import argparse
from pathlib import Path

from fiwano_conformance import load_cmd
from fiwano_conformance.shared import kit_ca
from loadtests.session import Options, Session


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    load_cmd.add_arguments(parser)
    return parser.parse_args(["--out", "somewhere", *argv])


def test_load_defaults_to_the_kit_ca_and_honours_the_environment_and_the_option(monkeypatch, tmp_path):
    monkeypatch.delenv(kit_ca.CA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert load_cmd.sink_ca_dir(parse()) == tmp_path / "cache" / "fiwano-conformance" / "kit-ca"
    monkeypatch.setenv(kit_ca.CA_DIR_ENV, str(tmp_path / "env-ca"))
    assert load_cmd.sink_ca_dir(parse()) == tmp_path / "env-ca"
    assert load_cmd.sink_ca_dir(parse("--sink-ca-dir", str(tmp_path / "opt-ca"))) == tmp_path / "opt-ca"


def test_the_locust_command_passes_the_kit_ca_directory(monkeypatch, tmp_path):
    monkeypatch.setenv(kit_ca.CA_DIR_ENV, str(tmp_path / "env-ca"))
    args = parse()
    command = load_cmd.locust_command(args, "http://t", None, tmp_path, load_cmd.sink_ca_dir(args))
    assert command[command.index("--fiwano-sink-ca-dir") + 1] == str(tmp_path / "env-ca")


def test_the_locust_session_sink_uses_the_kit_ca_without_an_option(monkeypatch, tmp_path):
    """Locust run by hand without --fiwano-sink-ca-dir: the sink serves a certificate of the kit CA."""
    monkeypatch.setenv(kit_ca.CA_DIR_ENV, str(tmp_path / "kit"))
    monkeypatch.setattr("loadtests.session.mint_keyring", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stop")))
    session = Session(Options(target="http://t", simulator="http://sim", out=tmp_path / "out"))
    session.prepare()
    try:
        assert session.sink is not None
        assert Path(session.sink.ca_file) == tmp_path / "kit" / kit_ca.CA_FILE_NAME
        assert not (tmp_path / "out" / "ca").exists()
    finally:
        session.sink.stop()
