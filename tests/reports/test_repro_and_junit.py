"""Reproduction bundles (commands, simulator script) and the junit.xml enrichment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import junitparser

from reports.junit import enrich_junit
from reports.model import RunResults
from reports.repro import journal_script, north_curls, pyarg, replay_command, shell_words, write_bundle
from tests.reports.conftest import NORTH, SOUTH, make_test


def test_suite_node_ids_replay_from_anywhere_in_the_installed_kit():
    assert pyarg("suites/test_auth.py::test_x[GET /channels]") == "suites.test_auth::test_x[GET /channels]"
    assert pyarg("elsewhere/test_y.py::t") is None
    command = replay_command(make_test("suites/test_auth.py::t[a]", "fail"),
                             {"target": "https://t.example", "level": "api", "channels": ["whatsapp"],
                              "api_keys": ["<redacted>"], "harness": "https://<redacted>@h.example", "seed": 3})
    # by path in the installed kit (replay.sh sets $FIWANO_KIT_ROOT): --pyargs would read the cwd's conftest.py
    assert command[-1] == "$FIWANO_KIT_ROOT/suites/test_auth.py::t[a]"
    assert shell_words(command[-1:]) == "\"$FIWANO_KIT_ROOT\"'/suites/test_auth.py::t[a]'"
    assert "--fiwano-target=https://t.example" in command and "--fiwano-channels=whatsapp" in command
    assert "--fiwano-seed=3" in command
    assert not any("redacted" in part for part in command)  # secrets come from the environment instead
    # isolated like `fiwano-conformance run`: the kit's ini, the kit's root as rootdir, -P (replay.sh sets both)
    assert command[:9] == ["python", "-P", "-m", "pytest", "-c", "$FIWANO_KIT_INI", "--rootdir=$FIWANO_KIT_ROOT",
                           "--confcutdir=$FIWANO_KIT_ROOT/suites", "-p"]
    other = replay_command(make_test("t/test_z.py::t", "fail"), {}, rootdir="/src/kit")
    assert "--rootdir=/src/kit" in other and other[-1] == "/src/kit/t/test_z.py::t"
    assert other[other.index("-c") + 1] == "$FIWANO_KIT_INI"


def test_replay_sh_ignores_the_pytest_configuration_of_a_project_it_sits_in(tmp_path):
    """A results directory inside the user's project: replay.sh must not read their pytest.ini or conftest.py
    (an `addopts` there once decided a verdict), as `fiwano-conformance run` does not."""
    project = tmp_path / "project"
    (project / "results" / "repro").mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\naddopts = --maxfail=1 --option-of-the-users-project\n")
    (project / "conftest.py").write_text("raise RuntimeError('the user project conftest was read')\n")
    (project / "results" / "conftest.py").write_text("raise RuntimeError('a conftest next to the results')\n")
    test = make_test("suites/test_auth.py::test_request_without_key_is_401", "fail")
    results = RunResults.build([test], {}, configuration={"target": None}, rootdir=str(project))
    bundle = write_bundle(test, results, project / "results" / "repro" / "001-test")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIWANO_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTEST_ADDOPTS="--option-from-the-environment")
    # collecting is enough to prove which configuration is read (running would start the embedded pair)
    completed = subprocess.run(["sh", str(bundle / "replay.sh"), "--collect-only", "-q"], capture_output=True,
                               text=True, timeout=120, env=env, cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "suites/test_auth.py::test_request_without_key_is_401" in completed.stdout, completed.stdout


def test_the_simulator_journal_becomes_a_script():
    assert journal_script(SOUTH) == [{"seq": 3, "method": "POST", "path": "/v21.0/123/messages", "status": 200,
                                      "request": {"recipient": {"id": "42"}}, "response": {"message_id": "m_1"}}]


def test_north_calls_become_curl_commands_without_the_key():
    [curl] = north_curls(NORTH)
    assert curl.startswith("curl -sS -X POST http://127.0.0.1:9/api/v1/messages/send")
    assert '-H "X-API-Key: $FIWANO_API_KEY"' in curl and "--data-raw" in curl and "mip_live" not in curl


def test_junit_is_enriched_redacted_and_still_valid(tmp_path, sample_results):
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="2" failures="1" '
        'errors="0" skipped="0"><testcase classname="suites.test_text_limits" name="test_limit[instagram]">'
        '<failure message="saw mip_live_secretKEY99">X-API-Key: mip_live_secretKEY99</failure>'
        '<system-out>webhook_secret=whsec_777777</system-out></testcase>'
        '<testcase classname="suites.test_text_limits" name="test_limit[facebook]"><skipped message="not-claimed: x"/>'
        '</testcase></testsuite></testsuites>')
    enrich_junit(path, sample_results)
    text = path.read_text()
    assert "secretKEY99" not in text and "whsec_777777" not in text
    xml = junitparser.JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert len(cases) == 2 and type(cases["test_limit[instagram]"].result[0]).__name__ == "Failure"
    assert '<property name="fiwano_status" value="not-claimed"' in text
    assert '<property name="fiwano_req" value="SEND-TEXT-LIMIT"' in text
    assert '<property name="fiwano_verdict" value="not-conformant"' in text
