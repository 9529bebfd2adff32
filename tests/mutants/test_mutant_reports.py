"""The mutant runner's verdict logic and its outputs (mutants.json schema, JUnit, HTML), without servers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from reports.mutants import (load_mutants, shared_stylesheet, validate_mutants,
                             write_mutant_outputs)
from fiwano_conformance.selftest.catalogue import Mutant
from fiwano_conformance.selftest.coverage import load_untargeted, must_coverage
from fiwano_conformance.selftest.results import document
from fiwano_conformance.selftest.runner import MutantResult, CaseOutcome, read_junit, selection
from fiwano_conformance.selftest.smoke import SMOKE_TESTS

SMOKE_LIST = "suites/test_channels.py::test_connected_channel_is_listed_and_readable[whatsapp]"


def result(reqs, outcomes, error=""):
    mutant = Mutant(name="m_" + "_".join(r.lower().replace("-", "_") for r in reqs), defect="a defect",
                    requirements=tuple(reqs))
    return MutantResult(mutant=mutant, tests_run=["suites/test_a.py::test_a", *SMOKE_TESTS],
                        mapped_tests=["suites/test_a.py::test_a"], smoke_tests=list(SMOKE_TESTS),
                        outcomes=[CaseOutcome(*o) for o in outcomes], pytest_exit=1, error=error,
                        seconds={"total": 1.5})


def test_killed_only_by_a_failed_test_that_names_the_mutants_ids():
    r = result(["A-1", "A-2"], [("suites/test_a.py::test_a[x]", ("A-1",), "failed"),
                                ("suites/test_a.py::test_b", ("B-1",), "failed"),
                                (SMOKE_LIST, ("CHANNEL-LIST",), "passed")])
    assert r.status == "killed" and r.killed_by == ["suites/test_a.py::test_a[x]"]
    assert r.by_requirement == {"A-1": ["suites/test_a.py::test_a[x]"], "A-2": []}
    assert r.other_failures == ["suites/test_a.py::test_b"]
    assert not r.smoke_broken


def test_a_smoke_failure_is_flagged_not_counted_unless_it_names_the_ids():
    broken = result(["A-1"], [("suites/test_a.py::test_a", ("A-1",), "passed"),
                              (SMOKE_LIST, ("CHANNEL-LIST",), "failed")])
    assert broken.status == "survived" and broken.smoke_broken and broken.smoke_failures == [SMOKE_LIST]
    own = result(["CHANNEL-LIST"], [(SMOKE_LIST, ("CHANNEL-LIST",), "failed")])
    assert own.status == "killed" and not own.smoke_broken


def test_a_broken_run_is_an_error_even_with_failures():
    r = result(["A-1"], [("suites/test_a.py::test_a", ("A-1",), "error")], error="pytest exited with 2")
    assert r.status == "error" and not r.killed


def test_smoke_tests_already_mapped_run_once():
    mapped, smoke = selection(["suites/test_channels.py::test_connected_channel_is_listed_and_readable"])
    assert mapped == ["suites/test_channels.py::test_connected_channel_is_listed_and_readable"]
    assert smoke == [s for s in SMOKE_TESTS if "test_connected_channel" not in s]


def test_junit_outcomes_carry_node_ids_and_requirements(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite><testcase classname="suites.test_send" name="test_x[whatsapp]">'
        '<properties><property name="fiwano_req" value="SEND-TEXT-OK SEND-RECIPIENT-WA"/></properties>'
        '<failure message="boom">x</failure></testcase>'
        '<testcase classname="suites.test_send" name="test_y"><skipped message="not-claimed: x"/></testcase>'
        '</testsuite></testsuites>')
    first, second = read_junit(junit)
    assert first == CaseOutcome("suites/test_send.py::test_x[whatsapp]", ("SEND-TEXT-OK", "SEND-RECIPIENT-WA"),
                                "failed", "boom")
    assert second.outcome == "skipped" and not second.failed


def sample_document():
    rs = [result(["A-1"], [("suites/test_a.py::test_a", ("A-1",), "failed")]),
          result(["A-2"], [("suites/test_a.py::test_a", ("A-1",), "passed"),
                           (SMOKE_LIST, ("CHANNEL-LIST",), "failed")]),
          result(["A-3"], [], error="RuntimeError: the mutated reference exited with 1 during start")]
    return document(rs, 0.0, 12.5, 2, coverage=must_coverage([]).to_json())


def test_outputs_validate_and_render(tmp_path):
    data = sample_document()
    assert data["counts"] == {"killed": 1, "survived": 1, "error": 1, "smoke_broken": 1}
    assert data["requirements"]["A-1"] == {"mutants": ["m_a_1"], "killed_by_own_tests": ["m_a_1"]}
    written = write_mutant_outputs(data, tmp_path)
    assert load_mutants(tmp_path)["total"] == 3
    suite = ET.parse(written["junit"]).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["m_a_2"].find("failure") is not None and cases["m_a_3"].find("error") is not None
    page = written["html"].read_text()
    assert "1/3 killed" in page and "smoke broken" in page and "no test of it failed" in page
    assert shared_stylesheet() and shared_stylesheet().strip()[:20] in page  # report.html's style, reused
    assert "MUST requirements against the catalogue" in page


def test_schema_refuses_a_wrong_status():
    data = json.loads(json.dumps(sample_document()))
    data["mutants"][0]["status"] = "maybe"
    with pytest.raises(ValueError, match="mutants/0/status"):
        validate_mutants(data)


def test_untargeted_files_are_checked(tmp_path, monkeypatch):
    (tmp_path / "a.yaml").write_text("API-BASE-PATH: served by the framework, no component to break\n"
                                     "NOT-AN-ID: whatever\nCHANNEL-LIST: ''\n")
    (tmp_path / "b.yaml").write_text("API-BASE-PATH: again\n")
    entries, problems = load_untargeted(tmp_path)
    assert set(entries) == {"API-BASE-PATH", "NOT-AN-ID"}
    assert any("CHANNEL-LIST has no reason" in p for p in problems)
    assert any("already declared" in p for p in problems)
    both = Mutant(name="x", defect="x", requirements=("API-BASE-PATH",))
    coverage = must_coverage([both], tmp_path)
    assert any("NOT-AN-ID is not a requirement id" in p for p in coverage.problems)
    assert any("API-BASE-PATH is declared untargeted but mutants target it" in p for p in coverage.problems)
    assert "API-BASE-PATH" in coverage.targeted and "CHANNEL-LIST" in coverage.missing
