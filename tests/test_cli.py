"""The fiwano-conformance command: parsing, verdicts and the results summary."""

from __future__ import annotations

import argparse

import pytest

from fiwano_conformance import cli, run_cmd


def test_every_subcommand_is_listed_in_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in cli.SUBCOMMANDS:
        assert name in out


def test_serve_options_map_onto_settings_fields():
    parser = cli.build_parser()
    args = parser.parse_args(["reference", "--db", "/tmp/x.sqlite3", "--test-mode",
                              "--allow-webhook-host", "127.0.0.1", "--allow-webhook-host", "localhost"])
    assert args.db_path == "/tmp/x.sqlite3"
    assert args.test_mode is True
    assert args.allow_webhook_hosts == ["127.0.0.1", "localhost"]
    sim = parser.parse_args(["simulator", "--app-secret", "s"])
    assert sim.app_secret == "s" and sim.target_webhook_url is None


def test_run_forwards_options_and_extra_args_to_pytest(tmp_path):
    args = argparse.Namespace(target="http://t", simulator=None, harness=None, config=None, level="api",
                              profile=None, quiet=True, extra=["-k", "auth"])
    command = run_cmd.pytest_command(args, tmp_path)
    assert "--fiwano-target=http://t" in command
    assert "--fiwano-level=api" in command
    assert command[-2:] == ["-k", "auth"]
    assert "--fiwano-partial=-k auth" not in command  # -k is seen by the collector itself
    # isolated from the working directory: the kit's ini and rootdir, no cwd on sys.path, no cache
    assert command[1:7] == ["-P", "-m", "pytest", "-c", str(run_cmd.RUN_INI), f"--rootdir={run_cmd.KIT_ROOT}"]
    assert "no:cacheprovider" in command and "--fiwano-progress=off" in command


def test_run_selects_by_requirement_area_and_node_id_and_says_so(tmp_path):
    args = cli.build_parser().parse_args(["run", "--req", "SEND-", "--area", "relay"])
    args.extra, args.last_failed_file = ["suites/test_auth.py::test_x"], None
    command = run_cmd.pytest_command(args, tmp_path)
    assert {"-p", "fiwano_conformance.selection", "--fiwano-select-req=SEND-", "--fiwano-select-area=relay"} <= set(command)
    assert "--fiwano-partial=--req SEND-" in command and "--fiwano-partial=--area relay" in command
    assert "--fiwano-partial=tests named: suites/test_auth.py::test_x" in command
    assert command[-1] == f"{run_cmd.KIT_ROOT / 'suites' / 'test_auth.py'}::test_x"
    assert str(run_cmd.KIT_ROOT / "suites") not in command  # only the named test


def test_selection_by_requirement_prefix_and_area():
    from contract import load_requirements
    from fiwano_conformance.selection import SelectionError, requirements_for

    catalogue = load_requirements()
    send = requirements_for(["SEND-"], [], catalogue)
    assert send == {rid for rid in catalogue if rid.startswith("SEND-")} and send
    assert requirements_for(["send-text-length-unit"], [], catalogue) == {"SEND-TEXT-LENGTH-UNIT"}
    relay = requirements_for([], ["relay"], catalogue)
    assert {rid for rid in catalogue if rid.startswith("RELAY-")} <= relay
    templates = requirements_for([], ["templates"], catalogue)
    assert templates and all("Templates" in catalogue[rid]["section"] for rid in templates)
    for bad in (dict(reqs=["NOPE-"], areas=[]), dict(reqs=[], areas=["nowhere"])):
        with pytest.raises(SelectionError):
            requirements_for(bad["reqs"], bad["areas"], catalogue)


def test_last_failed_reads_the_previous_results(tmp_path):
    import json

    assert run_cmd.last_failed(tmp_path) is None
    (tmp_path / "results.json").write_text(json.dumps({"tests": [
        {"nodeid": "suites/a.py::t1", "status": "fail"}, {"nodeid": "suites/a.py::t2", "status": "pass"},
        {"nodeid": "suites/b.py::t3", "status": "error"}]}))
    assert run_cmd.last_failed(tmp_path) == ["suites/a.py::t1", "suites/b.py::t3"]


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("fiwano-conformance ")


def test_run_loads_the_results_collector_by_default(tmp_path):
    args = cli.build_parser().parse_args(["run", "--known-failures", "known.yaml"])
    args.extra = []
    command = run_cmd.pytest_command(args, tmp_path)
    assert command[command.index("reports.collector") - 1] == "-p"
    assert f"--fiwano-results={tmp_path}" in command
    assert any(part.startswith("--fiwano-known-failures=") and part.endswith("known.yaml") for part in command)
    assert args.results == "fiwano-results"


def test_the_collector_verdict_decides_the_exit_code():
    counts = run_cmd.Counts(passed=3, failed=1)
    # every failure is a known one: pytest says 1, the kit says conformant
    assert run_cmd.final_exit(1, counts, "conformant") == run_cmd.EXIT_CONFORMANT
    # a baselined test that passes now: pytest says 0, the kit says not conformant
    assert run_cmd.final_exit(0, run_cmd.Counts(passed=3), "not-conformant") == run_cmd.EXIT_NON_CONFORMANT
    assert run_cmd.final_exit(1, counts, "error") == run_cmd.EXIT_ERROR
    # usage errors and interruptions are never overridden; no results.json falls back to the junit counts
    assert run_cmd.final_exit(4, counts, "conformant") == run_cmd.EXIT_ERROR
    assert run_cmd.final_exit(1, counts, None) == run_cmd.EXIT_NON_CONFORMANT


def test_run_prints_where_every_output_is(tmp_path):
    for name in ("report.html", "results.json", "junit.xml"):
        (tmp_path / name).write_text("x")
    (tmp_path / "repro" / "001-t").mkdir(parents=True)
    data = {"scores": [{"level": "api", "score": 50.0, "passed": 1, "judged": 2},
                       {"level": "controlled", "score": None, "passed": 0, "judged": 0}],
            "stale_known_failures": ["a (b)"],
            "requirements": [{"id": "A", "status": "pass"}, {"id": "B", "status": "fail"},
                             {"id": "C", "status": "not-claimed"}]}
    lines = run_cmd.summary_lines(tmp_path, data)
    assert lines[0] == "Scores: api 50.0 % (1/2), controlled not judged"
    assert lines[1] == "Requirements: 2 of 3 judged (api 2, controlled 0), 1 passing; 1 not-claimed"
    assert "Stale known failures: 1 (see the report)" in lines
    text = "\n".join(lines)
    for name in ("report.html", "results.json", "junit.xml"):
        assert str(tmp_path / name) in text
    assert f"{tmp_path / 'repro'} (1 failed test(s))" in text
    assert not [line for line in lines if line.startswith("Real time:")]  # nobody waited in real time


def test_run_says_how_long_the_tests_run_in_real_time_waited(tmp_path):
    data = {"scores": [], "requirements": [],
            "tests": [{"nodeid": "suites/a.py::t1", "real_time_seconds": 35.2},
                      {"nodeid": "suites/b.py::t2", "real_time_seconds": 301.0},
                      {"nodeid": "suites/c.py::t3", "real_time_seconds": None}, {"nodeid": "suites/d.py::t4"}]}
    assert ("Real time: 2 tests waited 336 s in all (longest 301 s: suites/b.py::t2)"
            in run_cmd.summary_lines(tmp_path, data))


def test_run_writes_every_output_and_uses_the_collector_verdict(tmp_path, monkeypatch, capsys):
    """run() end to end with the child pytest replaced: stale files are removed first, outputs are listed."""
    import json

    results = tmp_path / "out"
    results.mkdir()
    (results / "results.json").write_text("stale")

    def fake_pytest(command, env):
        assert "reports.collector" in command
        assert "PYTEST_ADDOPTS" not in env and env["PYTHONPATH"].startswith(str(run_cmd.KIT_ROOT))
        (results / "junit.xml").write_text("<testsuite><testcase name='a'><failure/></testcase></testsuite>")
        counts = {"pass": 0, "fail": 0, "error": 0, "not-claimed": 0, "xfail": 1, "skip": 0}
        (results / "results.json").write_text(json.dumps({"verdict": "conformant", "counts": counts, "scores": []}))
        (results / "report.html").write_text("<html></html>")
        return 1

    monkeypatch.setattr(run_cmd.children, "run_supervised", fake_pytest)
    args = cli.build_parser().parse_args(["run", "--results", str(results)])
    args.extra = []
    assert run_cmd.run(args) == run_cmd.EXIT_CONFORMANT
    out = capsys.readouterr().out
    assert "Verdict: CONFORMANT" in out and "1 xfail" in out
    assert f"HTML report:              {results / 'report.html'}" in out


def test_junit_counts_and_verdicts(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        "<testsuites><testsuite>"
        "<testcase name='a'/><testcase name='b'><failure/></testcase>"
        "<testcase name='c'><skipped/></testcase><testcase name='d'><error/></testcase>"
        "</testsuite></testsuites>"
    )
    counts = run_cmd.count_junit(junit)
    assert (counts.passed, counts.failed, counts.skipped, counts.errors) == (1, 1, 1, 1)
    assert run_cmd.verdict(0, run_cmd.Counts(passed=3)) == run_cmd.EXIT_CONFORMANT
    assert run_cmd.verdict(1, run_cmd.Counts(passed=3, failed=1)) == run_cmd.EXIT_NON_CONFORMANT
    assert run_cmd.verdict(4, run_cmd.Counts()) == run_cmd.EXIT_ERROR
    assert run_cmd.verdict(5, run_cmd.Counts()) == run_cmd.EXIT_ERROR


def test_selftest_flake_lists_failed_and_errored_cases(tmp_path):
    from fiwano_conformance import selftest_cmd

    junit = tmp_path / "run.xml"
    junit.write_text("<testsuites><testsuite><testcase classname='suites.test_a' name='ok'/>"
                     "<testcase classname='suites.test_a' name='bad'><failure/></testcase>"
                     "<testcase classname='suites.test_b' name='broken'><error/></testcase></testsuite></testsuites>")
    assert selftest_cmd._failures(junit) == ["suites.test_a::bad", "suites.test_b::broken"]
    assert selftest_cmd._failures(tmp_path / "missing.xml") == ["<no junit.xml: the run itself broke>"]


def test_reference_operator_command_creates_accounts_with_keys(tmp_path, capsys):
    """`reference admin create-account` provisions accounts in a state on the reference's database (no harness)."""
    import json

    from fiwano_conformance.cli import main
    from reference.clock import RealClock
    from reference.db import Database
    from reference.repos.accounts import AccountRepository, ApiKeyRepository

    db_path = tmp_path / "ref.sqlite3"
    assert main(["reference", "admin", "create-account", "--db", str(db_path), "--tier", "starter",
                 "--subscription", "expired", "--count", "2"]) == 0
    keys = capsys.readouterr().out.split()
    assert main(["reference", "admin", "create-account", "--db", str(db_path), "--subscription", "none", "--json"]) == 0
    unsubscribed = json.loads(capsys.readouterr().out)
    assert main(["reference", "admin", "create-account", "--db", str(db_path), "--count", "0"]) == 2
    db = Database(db_path)
    try:
        accounts = AccountRepository(db, RealClock(), period_days=30)
        api_keys = ApiKeyRepository(db, RealClock())
        owners = [api_keys.authenticate(key).account_id for key in keys]
        assert len(set(owners)) == 2 and all(key.startswith("mip_live_") for key in keys)
        assert all((accounts.get(o).tier, accounts.get(o).sub_status, accounts.get(o).sub_source)
                   == ("starter", "expired", "paddle") for o in owners)
        none = accounts.get(unsubscribed["account_id"])
        assert (none.tier, none.sub_status) == (None, "none")
        assert api_keys.authenticate(unsubscribed["keys"][0]["api_key"]).account_id == none.id
    finally:
        db.close()
