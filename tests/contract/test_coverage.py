"""Every requirement has a suite test, except those on the explicit pending list (which only shrinks).

The suites are scanned statically by fiwano_conformance.requirements_cmd (ast; nothing is imported).
"""

from __future__ import annotations

import argparse
import json
import textwrap

import pytest

import contract
from fiwano_conformance import requirements_cmd
from fiwano_conformance.requirements_cmd import compute_coverage, scan_suites


def test_every_requirement_has_a_test_or_is_pending():
    cov = compute_coverage()
    assert not cov.untested, (
        "requirements without a suite test (add a test with @pytest.mark.req, or - only while the suites "
        "issue is open - list them in contract/pending.yaml): " + ", ".join(cov.untested))


def test_pending_entries_have_no_test():
    cov = compute_coverage()
    assert not cov.pending_with_tests, (
        "these pending requirements now have a test; remove them from contract/pending.yaml: "
        + ", ".join(cov.pending_with_tests))


def test_pending_entries_are_known_and_unique():
    cov = compute_coverage()
    assert not cov.pending_unknown, f"unknown ids in contract/pending.yaml: {cov.pending_unknown}"
    assert not cov.pending_duplicates, f"ids listed twice in contract/pending.yaml: {cov.pending_duplicates}"


def test_suites_name_only_known_requirements():
    cov = compute_coverage()
    assert not cov.unknown_in_suites, cov.unknown_in_suites
    assert not cov.scan_errors, cov.scan_errors


# ---------------------------------------------------------------- the scanner and the command


@pytest.fixture
def fake_suites(tmp_path):
    root = tmp_path / "suites"
    root.mkdir()
    (root / "test_a.py").write_text(textwrap.dedent('''
        import pytest
        from pytest import mark

        REQ = "B-TWO"
        BOTH = ("A-ONE", "B-TWO")

        @pytest.mark.req("A-ONE")
        @pytest.mark.level("api")
        def test_plain():
            pass

        @mark.req(REQ)
        def test_constant():
            pass

        @pytest.mark.req(*BOTH)
        async def test_starred():
            pass

        @pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.req("C-THREE"))])
        def test_param(x):
            pass

        @pytest.mark.req("A-ONE")
        class TestGroup:
            @pytest.mark.req("GHOST-ID")
            def test_method(self):
                pass

        def helper():
            pytest.mark.req("NOT-A-TEST")
    '''), encoding="utf-8")
    (root / "test_b.py").write_text(textwrap.dedent('''
        import pytest
        pytestmark = [pytest.mark.req("D-FOUR"), pytest.mark.level("simulated")]

        def test_module_marked():
            pass
    '''), encoding="utf-8")
    (root / "helpers.py").write_text('import pytest\n@pytest.mark.req("E-FIVE")\ndef test_x(): pass\n', encoding="utf-8")
    return root


def test_scanner_finds_every_form(fake_suites):
    scan = scan_suites(fake_suites)
    assert not scan.errors
    got = {rid: sorted(tests) for rid, tests in scan.tests_by_req.items()}
    assert got == {
        "A-ONE": ["suites/test_a.py::TestGroup::test_method", "suites/test_a.py::test_plain",
                  "suites/test_a.py::test_starred"],
        "B-TWO": ["suites/test_a.py::test_constant", "suites/test_a.py::test_starred"],
        "C-THREE": ["suites/test_a.py::test_param"],
        "GHOST-ID": ["suites/test_a.py::TestGroup::test_method"],
        "D-FOUR": ["suites/test_b.py::test_module_marked"],
    }


def test_scanner_reports_non_literal_ids(tmp_path):
    root = tmp_path / "suites"
    root.mkdir()
    (root / "test_c.py").write_text('import pytest\n@pytest.mark.req(make_id())\ndef test_x(): pass\n')
    assert scan_suites(root).errors


def _reqs(*ids):
    return {rid: {"id": rid, "text": "t", "section": "s", "strength": "MUST", "level": "api",
                  "channels": list(contract.CHANNEL_TYPES)} for rid in ids}


def test_coverage_rules(fake_suites):
    reqs = _reqs("A-ONE", "B-TWO", "C-THREE", "D-FOUR", "E-FIVE", "F-SIX")
    cov = compute_coverage(fake_suites, requirements=reqs, pending=["C-THREE", "E-FIVE", "ZZ-UNKNOWN", "E-FIVE"])
    assert cov.untested == ["F-SIX"]
    assert cov.pending_with_tests == ["C-THREE"]
    assert cov.pending_unknown == ["ZZ-UNKNOWN"]
    assert cov.pending_duplicates == ["E-FIVE"]
    assert set(cov.unknown_in_suites) == {"GHOST-ID"}
    assert not cov.ok and len(cov.problems()) == 5
    clean = compute_coverage(fake_suites, requirements=_reqs("A-ONE", "B-TWO", "C-THREE", "D-FOUR", "GHOST-ID", "E-FIVE"),
                             pending=["E-FIVE"])
    assert clean.ok, clean.problems()


def _args(**kw):
    parser = argparse.ArgumentParser()
    requirements_cmd.add_arguments(parser)
    argv = []
    for key, value in kw.items():
        if key == "ids":
            argv += value
        elif value is True:
            argv.append(f"--{key.replace('_', '-')}")
        else:
            argv += [f"--{key}", str(value)]
    return parser.parse_args(argv)


def test_command_lists_requirements_and_tests(capsys):
    assert requirements_cmd.run(_args(ids=["AUTH-KEY-REQUIRED"])) == 0
    out = capsys.readouterr().out
    assert out.startswith("AUTH-KEY-REQUIRED  MUST api")
    assert "suites/test_auth.py::" in out
    assert "docs: Authentication" in out


def test_command_coverage_json(capsys):
    code = requirements_cmd.run(_args(coverage=True, json=True))
    document = json.loads(capsys.readouterr().out)
    assert code == (0 if document["coverage"]["ok"] else 1)
    assert len(document["requirements"]) == len(contract.load_requirements())
    assert isinstance(document["coverage"]["ok"], bool) and "problems" in document["coverage"]
    assert document["coverage"]["requirements"] == len(contract.load_requirements())


def test_command_prefix_filter_and_untested(fake_suites, capsys):
    # against fake suites that test no SEND- rule, so the outcome does not depend on the real suites' progress
    requirements_cmd.run(_args(ids=["SEND-"], untested=True, suites=fake_suites))
    lines = [line for line in capsys.readouterr().out.splitlines() if line and not line.startswith(" ")]
    assert lines and all(line.startswith("SEND-") and ("pending" in line or "NO TEST" in line) for line in lines)


def test_command_coverage_fails_on_problems(fake_suites, capsys, monkeypatch):
    monkeypatch.setattr(contract, "load_pending", lambda: [])
    assert requirements_cmd.run(_args(coverage=True, suites=fake_suites)) == 1
    assert "FAILED" in capsys.readouterr().out


def test_prune_pending_only_removes(tmp_path):
    pending = tmp_path / "pending.yaml"
    pending.write_text("# comment\npending:\n  - A-ONE\n  - B-TWO\n  - C-THREE\n", encoding="utf-8")
    dropped = requirements_cmd.prune_pending({"B-TWO", "Z-NEW"}, pending)
    assert dropped == ["B-TWO"]
    assert pending.read_text(encoding="utf-8") == "# comment\npending:\n  - A-ONE\n  - C-THREE\n"
