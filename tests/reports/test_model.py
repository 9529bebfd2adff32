"""The status taxonomy, the roll-up to requirements and channels, scores, verdicts and known failures."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reports.collector import evidence_of, phase_status
from reports.model import (KnownFailure, RunResults, apply_known_failures, parse_known_failures, rollup, verdict)
from tests.reports.conftest import CATALOGUE, make_test, sample_tests


def report(when="call", outcome="passed", longrepr=None, wasxfail=None, user_properties=()):
    fields = dict(when=when, outcome=outcome, longrepr=longrepr, passed=outcome == "passed",
                  failed=outcome == "failed", skipped=outcome == "skipped", user_properties=list(user_properties))
    if wasxfail is not None:
        fields["wasxfail"] = wasxfail
    return SimpleNamespace(**fields)


@pytest.mark.parametrize(("phase", "expected"), [
    (report(), None),
    (report(outcome="failed", longrepr="E assert 1 == 2"), "fail"),
    (report(when="setup", outcome="failed", longrepr="RuntimeError: simulator down"), "error"),
    (report(when="teardown", outcome="failed", longrepr="RuntimeError: cleanup"), "error"),
    (report(when="setup", outcome="failed", longrepr="Failed: missing-prerequisite: no simulator URL"), "fail"),
    (report(when="setup", outcome="skipped", longrepr=("f.py", 1, "Skipped: not-claimed: needs the simulated level")),
     "not-claimed"),
    (report(when="setup", outcome="skipped", longrepr=("f.py", 1, "Skipped: no media on this channel")), "skip"),
    (report(outcome="skipped", longrepr=("f.py", 1, "reason"), wasxfail="known bug"), "xfail"),
    (report(outcome="passed", wasxfail="known bug"), "fail"),  # XPASS: an expected failure that passes
    # the kit's own helper broke during the call (suites/plugin.py marks it): error, not a target failure
    (report(outcome="failed", longrepr="HarnessError: 500", user_properties=[("fiwano_kit_error", "HarnessError")]),
     "error"),
])
def test_phase_reports_map_onto_the_kit_statuses(phase, expected):
    decided = phase_status(phase)
    assert (decided[0] if decided else None) == expected


def test_not_claimed_keeps_its_reason_without_the_skipped_prefix():
    status, message = phase_status(report(when="setup", outcome="skipped",
                                          longrepr=["f.py", 3, "Skipped: not-claimed: channel facebook"]))
    assert (status, message) == ("not-claimed", "not-claimed: channel facebook")


def test_evidence_sections_are_split_by_side_and_redacted():
    sections = [("fiwano evidence: north (REST calls to the target)", "> GET /x [x-api-key: mip_live_abcdef123]"),
                ("fiwano evidence: south (simulator journal)", "#1 GET /v21.0/1 -> 200"),
                ("Captured stdout call", "noise"), ("fiwano evidence: east (sink)", "token=abcdefgh")]
    evidence = evidence_of(sections, secrets=[])
    assert set(evidence) == {"north", "south", "east"}
    assert "abcdef123" not in evidence["north"] and "abcdefgh" not in evidence["east"]


def test_rollup_gives_the_worst_status_per_requirement_and_per_channel():
    requirements = {r.id: r for r in rollup(sample_tests(), CATALOGUE)}
    limit = requirements["SEND-TEXT-LIMIT"]
    assert limit.status == "fail"
    assert limit.by_channel == {"whatsapp": "pass", "instagram": "fail", "facebook": "not-claimed"}
    # a channel-neutral test decides every channel of its requirement; a channel-specific rule has one column
    assert requirements["ERR-FORMAT"].by_channel == {c: "pass" for c in ("whatsapp", "instagram", "facebook")}
    assert requirements["RELAY-FROM-WA"].by_channel == {"whatsapp": "pass"}
    assert list(requirements) == ["SEND-TEXT-LIMIT", "ERR-FORMAT", "AUTH-HEADER-CASE", "RELAY-FROM-WA"]  # catalogue order


def test_scores_count_judged_requirements_per_level(sample_results):
    scores = {s["level"]: s for s in sample_results.scores}
    assert scores["simulated"] == {"level": "simulated", "requirements": 2, "judged": 2, "passed": 1,
                                   "not_claimed": 0, "score": 50.0}
    assert scores["api"]["passed"] == 1 and scores["api"]["judged"] == 2  # the xfail is judged, not passed
    assert scores["controlled"]["score"] is None


@pytest.mark.parametrize(("statuses", "reqs", "expected"), [
    (["pass", "not-claimed"], ["ERR-FORMAT"], "conformant"),
    (["pass", "fail"], ["ERR-FORMAT"], "not-conformant"),
    (["pass", "fail"], ["AUTH-HEADER-CASE"], "conformant"),  # a SHOULD-only failure is reported, not decisive
    (["pass", "error"], ["ERR-FORMAT"], "error"),
    (["not-claimed", "skip"], ["ERR-FORMAT"], "error"),  # nothing judged is not a pass
])
def test_verdict(statuses, reqs, expected):
    tests = [make_test(f"t{i}", status, reqs=reqs) for i, status in enumerate(statuses)]
    assert verdict(tests, rollup(tests, CATALOGUE)) == expected


def test_a_baselined_test_that_passes_makes_the_run_not_conformant():
    known = [KnownFailure("t0", "was broken"), KnownFailure("renamed", "gone")]
    results = RunResults.build([make_test("t0", "pass", reqs=["ERR-FORMAT"])], CATALOGUE, known)
    assert results.verdict == "not-conformant" and results.tests[0].status == "fail"
    assert results.stale_known_failures == ["renamed (gone)"]


def test_known_failures_turn_failures_into_xfail_and_a_passing_entry_into_a_failure():
    tests = [make_test("suites/a.py::t[instagram]", "fail"), make_test("suites/b.py::t", "pass"),
             make_test("suites/c.py::t", "error")]
    known = [KnownFailure("suites/a.py::t[*]", "bug 12"), KnownFailure("suites/b.py::t", "fixed since"),
             KnownFailure("suites/c.py::t", "harness"), KnownFailure("suites/gone.py::t", "removed test")]
    out, unused = apply_known_failures(tests, known)
    assert [t.status for t in out] == ["xfail", "fail", "error"]  # errors are never baselined
    assert out[0].known_failure == "bug 12" and "remove the entry" in out[1].message
    assert unused == ["suites/c.py::t (harness)", "suites/gone.py::t (removed test)"]
    assert [t.status for t in tests] == ["fail", "pass", "error"]  # pure: inputs untouched


def test_known_failures_file_needs_a_reason_per_entry():
    assert parse_known_failures({"known_failures": [{"test": "a", "reason": "b"}]}) == [KnownFailure("a", "b")]
    for bad in ({}, {"known_failures": [{"test": "a"}]}, [1]):
        with pytest.raises(ValueError):
            parse_known_failures(bad)


def test_results_round_trip_through_json(sample_results):
    again = RunResults.from_json(sample_results.to_json())
    assert again.to_json() == sample_results.to_json()


def test_suite_tests_get_an_id_independent_of_the_directory_pytest_ran_from():
    from reports.collector import stable_test_id

    def item(module, nodeid):
        return SimpleNamespace(module=SimpleNamespace(__name__=module), nodeid=nodeid)

    for nodeid in ("test_auth.py::test_x[GET /channels]", "../venv/lib/site-packages/suites/test_auth.py::test_x[GET /channels]"):
        assert stable_test_id(item("suites.test_auth", nodeid)) == "suites/test_auth.py::test_x[GET /channels]"
    assert stable_test_id(item("test_demo", "test_demo.py::Class::t")) == "test_demo.py::Class::t"
