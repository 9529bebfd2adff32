"""Reproduction bundles (commands, simulator script) and the junit.xml enrichment."""

from __future__ import annotations

import junitparser

from reports.junit import enrich_junit
from reports.repro import journal_script, north_curls, pyarg, replay_command
from tests.reports.conftest import NORTH, SOUTH, make_test


def test_suite_node_ids_replay_from_anywhere_with_pyargs():
    assert pyarg("suites/test_auth.py::test_x[GET /channels]") == "suites.test_auth::test_x[GET /channels]"
    assert pyarg("elsewhere/test_y.py::t") is None
    command = replay_command(make_test("suites/test_auth.py::t[a]", "fail"),
                             {"target": "https://t.example", "level": "api", "channels": ["whatsapp"],
                              "api_keys": ["<redacted>"], "harness": "https://<redacted>@h.example", "seed": 3})
    assert command[-2:] == ["--pyargs", "suites.test_auth::t[a]"]
    assert "--fiwano-target=https://t.example" in command and "--fiwano-channels=whatsapp" in command
    assert "--fiwano-seed=3" in command
    assert not any("redacted" in part for part in command)  # secrets come from the environment instead
    other = replay_command(make_test("t/test_z.py::t", "fail"), {}, rootdir="/src/kit")
    assert other[-3:] == ["--rootdir", "/src/kit", "/src/kit/t/test_z.py::t"]


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
