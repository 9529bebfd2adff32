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
    assert f"--junitxml={tmp_path / 'junit.xml'}" in command


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
