"""The mutation audit's own rules (docs/self-test.md, "The mutation audit"): the triage file is well formed,
and a mutant's identity survives edits elsewhere in its module (the audit itself runs by hand, not in CI)."""

from __future__ import annotations

import re

import pytest

from fiwano_conformance.selftest.audit import load_triage

ID = re.compile(r"reference(\.[a-z_0-9]+)+:[A-Za-z_]+:[0-9a-f]{10}:\d+")


def test_every_triaged_mutant_has_a_well_formed_id_and_a_reason():
    triage = load_triage()
    assert triage, "tests/mutants/audit-triage.yaml lists the equivalent mutants of the recorded run"
    for mutant_id, entry in triage.items():
        assert ID.fullmatch(mutant_id), mutant_id
        assert entry["verdict"] == "equivalent" and len(str(entry["reason"]).strip()) > 20, mutant_id


def test_a_bad_triage_entry_is_refused(tmp_path):
    bad = tmp_path / "triage.yaml"
    bad.write_text("reference.limits:AddNot:0123456789:0:\n  verdict: equivalent\n", encoding="utf-8")
    with pytest.raises(ValueError, match="non-empty reason"):
        load_triage(bad)


def test_mutant_ids_survive_edits_elsewhere_in_the_module(tmp_path):
    pytest.importorskip("cosmic_ray")
    from fiwano_conformance.selftest.audit import enumerate_mutants, mutated_source

    module = tmp_path / "reference" / "sample.py"
    module.parent.mkdir()
    module.write_text("def limit(n):\n    return n > 4096\n", encoding="utf-8")
    before = {m.id for m in enumerate_mutants(tmp_path, ["reference/sample.py"])}
    module.write_text("X = 1 + 2\n\n\ndef limit(n):\n    return n > 4096\n", encoding="utf-8")
    after = enumerate_mutants(tmp_path, ["reference/sample.py"])
    assert before and before <= {m.id for m in after}
    flipped = next(m for m in after if m.id.startswith("reference.sample:ReplaceComparisonOperator_Gt_GtE:"))
    assert "n >= 4096" in mutated_source(flipped, tmp_path)


def test_suite_modules_are_measured_under_each_profile_whose_requirements_they_name(tmp_path):
    """A module naming only ids a later profile introduced runs only under that profile (its tests are
    not-claimed under default); a module naming v1 ids, or none, runs under default; both when it names both."""
    from fiwano_conformance.selftest.audit_coverage import measure_plan

    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_v1.py").write_text('@pytest.mark.req("SEND-TEXT-OK")\n', encoding="utf-8")
    (suites / "test_new.py").write_text('@pytest.mark.req("AUTH-BEARER-ACCEPTED")\n', encoding="utf-8")
    (suites / "test_both.py").write_text('req("SEND-TEXT-OK")\nreq("AUTH-BEARER-ACCEPTED")\n', encoding="utf-8")
    (suites / "test_none.py").write_text("def test_x(): pass\n", encoding="utf-8")
    plan = measure_plan(["test_v1", "test_new", "test_both", "test_none"], root=tmp_path)
    assert plan == [("test_v1", "default"), ("test_new", "fiwano-2026-10"), ("test_both", "default"),
                    ("test_both", "fiwano-2026-10"), ("test_none", "default")]


def test_a_mutant_runs_under_default_first_then_under_each_later_profile_that_executes_its_line():
    from fiwano_conformance.selftest.audit import AuditMutant
    from fiwano_conformance.selftest.audit_run import profile_runs

    mutant = AuditMutant(id="reference.sending:AddNot:0123456789:0", path="reference/sending.py",
                         operator="AddNot", occurrence=0, line=10, line_text="if x:", statement_line=10)
    covering = ["fiwano-2026-10|suites/test_v2026_failed.py::test_a", "suites/test_send.py::test_b",
                "fiwano-2026-10|suites/test_send.py::test_b"]
    assert profile_runs(mutant, covering, {}) == [
        ("default", ["suites/test_send.py::test_b"]),
        ("fiwano-2026-10", ["suites/test_send.py::test_b", "suites/test_v2026_failed.py::test_a"])]  # relevant first


def test_a_start_up_line_of_a_definition_runs_the_tests_of_its_body(tmp_path):
    """A decorator runs only while the reference starts; removing it (a @field_validator) changes what the
    tests executing the decorated function see, so those tests cover it too."""
    from fiwano_conformance.selftest.audit import AuditMutant, covering_tests, definition_body

    module = tmp_path / "reference" / "m.py"
    module.parent.mkdir()
    module.write_text("class Body:\n    @validator('text')\n    def check(cls, v):\n        return v\n", encoding="utf-8")
    assert list(definition_body("reference/m.py", 2, root=tmp_path)) == [4]
    mutant = AuditMutant(id="reference.m:RemoveDecorator:0123456789:0", path="reference/m.py",
                         operator="RemoveDecorator", occurrence=0, line=2, line_text="@validator('text')",
                         statement_line=2)
    lines = {2: [""], 4: ["suites/test_x.py::test_a"]}
    import fiwano_conformance.selftest.audit as audit
    original = audit.ROOT
    audit.ROOT = tmp_path
    try:
        assert covering_tests(mutant, lines) == ["", "suites/test_x.py::test_a"]
    finally:
        audit.ROOT = original
