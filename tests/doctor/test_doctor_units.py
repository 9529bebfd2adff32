"""The doctor's parts that need no server: option parsing as `run` forwards them, the embedded case."""

from __future__ import annotations

from fiwano_conformance.doctor import Finding, diagnose, plugin_options, problem_of


def test_fiwano_options_among_pytest_arguments_are_parsed_as_the_plugin_would():
    options = plugin_options(["-k", "auth", "--fiwano-api-key=k1", "--fiwano-api-key", "k2", "-n", "2",
                              "--fiwano-level", "api", "--fiwano-sink-ca-dir=/x"])
    assert options["fiwano_api_keys"] == ["k1", "k2"]
    assert options["fiwano_level"] == "api" and options["fiwano_sink_ca_dir"] == "/x"


def test_the_embedded_pair_needs_no_network_check(tmp_path):
    findings = diagnose({"fiwano_sink_ca_dir": str(tmp_path)}, env={})
    assert problem_of(findings) is None
    assert [f.check for f in findings] == ["config", "profile", "target", "level", "keys", "simulator", "sink"]
    assert "controlled" in findings[3].text


def test_a_problem_is_the_last_finding_and_says_what_to_do(tmp_path):
    findings = diagnose({"fiwano_level": "simulated", "fiwano_target": "http://127.0.0.1:9",
                         "fiwano_profile": "no-such-profile"}, env={})
    problem = problem_of(findings)
    assert problem is findings[-1] and problem.check == "profile"
    assert "no profile 'no-such-profile'" in problem.text and "--profile" in problem.text
    assert Finding("x", False, "y").line().startswith("PROBLEM")
