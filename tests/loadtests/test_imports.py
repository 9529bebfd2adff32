"""Importing Locust monkey-patches the standard library with gevent; the parts of the load tests that the CLI
and the kit's tests import must not do that (only the locustfile, users, shape and transport may)."""

import subprocess
import sys

PURE = ["loadtests.loadprofile", "loadtests.ratelimit", "loadtests.ledger", "loadtests.reconcile",
        "loadtests.gates", "loadtests.analysis", "loadtests.pacing", "loadtests.keyring", "loadtests.keyclaims",
        "loadtests.sink", "loadtests.provision", "loadtests.session", "loadtests.verdict", "fiwano_conformance.load_cmd"]


def test_pure_modules_do_not_import_locust_or_gevent():
    code = ("import sys, importlib\n"
            f"for name in {PURE!r}: importlib.import_module(name)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent'))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_no_module_shadows_the_standard_library():
    """Locust puts the locust file's directory (loadtests/) first on sys.path while importing it, so a module
    there named like a standard one (profile, inspect, ...) would replace it for whatever imports it then."""
    from pathlib import Path

    import loadtests

    names = {p.stem for p in Path(loadtests.__file__).parent.glob("*.py")}
    assert not names & set(sys.stdlib_module_names)


def test_load_without_locust_says_which_extra_to_install_and_exits_2(monkeypatch, capsys):
    """Locust is the optional `load` extra: without it, one line naming the install command, exit 2."""
    import importlib.util

    from fiwano_conformance import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a))
    assert cli.main(["load", "--profile", "ci"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and "pip install -e '.[load]'" in err and "fiwano-conformance[load]" in err
