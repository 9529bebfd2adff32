"""The mutation audit's own rules (docs/self-test.md, "The mutation audit"): the triage file is well formed,
and a mutant's identity survives edits elsewhere in its module (the audit itself runs by hand, not in CI)."""

from __future__ import annotations

import re

import pytest

from tests.mutants.audit import load_triage

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
    from tests.mutants.audit import enumerate_mutants, mutated_source

    module = tmp_path / "reference" / "sample.py"
    module.parent.mkdir()
    module.write_text("def limit(n):\n    return n > 4096\n", encoding="utf-8")
    before = {m.id for m in enumerate_mutants(tmp_path, ["reference/sample.py"])}
    module.write_text("X = 1 + 2\n\n\ndef limit(n):\n    return n > 4096\n", encoding="utf-8")
    after = enumerate_mutants(tmp_path, ["reference/sample.py"])
    assert before and before <= {m.id for m in after}
    flipped = next(m for m in after if m.id.startswith("reference.sample:ReplaceComparisonOperator_Gt_GtE:"))
    assert "n >= 4096" in mutated_source(flipped, tmp_path)
