"""Every MUST case of the reliability & security research is traced to requirement ids and suite tests.

The case catalogue is contract/source/reliability-security-cases.md (section 7 of the shared research,
copied so that this works in a fresh clone); the trace is contract/trace/reliability-security.yaml. The
suites are scanned statically (fiwano_conformance.requirements_cmd.scan_suites; nothing is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import pytest
import yaml

import contract
from fiwano_conformance import requirements_cmd
from fiwano_conformance.requirements_cmd import scan_suites, trace_problems

CASES_FILE = contract.CONTRACT_DIR / "source" / "reliability-security-cases.md"
TRACE_FILE = contract.CONTRACT_DIR / "trace" / "reliability-security.yaml"
SHARED_RESEARCH = Path(os.environ.get("FIWANO_RESEARCH", "/work/shared/research/reliability-security.md"))
SECTION = "## 7. Recommended test cases"
CASE_ID = re.compile(r"^RS-[A-Z]+-[0-9]+$")


def section_7(text: str) -> list[str]:
    """The lines of "## 7. Recommended test cases", up to the next top-level heading or rule line."""
    lines = text.splitlines()
    start = lines.index(SECTION)
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("## ") or re.fullmatch(r"-{10,}", lines[i])), len(lines))
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def must_bullets(lines: list[str]) -> list[tuple[str, str]]:
    """(area, bullet) of every "- MUST" bullet ("MUST:", "MUST (cookbook):", ...), in document order."""
    area, found = None, []
    for line in lines:
        if line.startswith("### "):
            area = line[4:].strip()
        elif line.startswith("- MUST"):
            found.append((area, line[2:].strip()))
    return found


@pytest.fixture(scope="module")
def bullets() -> list[tuple[str, str]]:
    return must_bullets(section_7(CASES_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def trace() -> dict:
    return yaml.safe_load(TRACE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases(trace) -> list[dict]:
    return trace["cases"]


@pytest.fixture(scope="module")
def scan():
    result = scan_suites()
    assert not result.errors, result.errors
    return result


def test_the_copy_has_a_provenance_header_and_only_section_7():
    text = CASES_FILE.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert "reliability-security.md" in first and "7" in first, f"header line naming the source expected: {first!r}"
    assert section_7(text) == text.splitlines()[text.splitlines().index(SECTION):], "only section 7 is copied"


def test_the_copy_matches_the_shared_research():
    """Drift detection: section 7 of the shared research is the one the trace was written from."""
    if not SHARED_RESEARCH.exists():
        pytest.skip(f"no shared research at {SHARED_RESEARCH} (set FIWANO_RESEARCH to compare)")
    shared = section_7(SHARED_RESEARCH.read_text(encoding="utf-8"))
    copy = section_7(CASES_FILE.read_text(encoding="utf-8"))
    assert [line.rstrip() for line in shared] == [line.rstrip() for line in copy], (
        "section 7 of the research changed: re-trace the cases in contract/trace/reliability-security.yaml, then "
        "refresh contract/source/reliability-security-cases.md")


def test_the_trace_parses_and_names_its_source(trace):
    assert trace["version"] == 1
    assert trace["source"] == "contract/source/reliability-security-cases.md"
    assert (contract.CONTRACT_DIR.parent / trace["source"]).resolve() == CASES_FILE.resolve()
    assert isinstance(trace["cases"], list) and trace["cases"]


def test_one_entry_per_must_bullet_in_document_order(bullets, cases):
    assert len(bullets) == 67, "the research's section 7 has 67 MUST bullets; a change means re-tracing"
    assert len(cases) == len(bullets), f"{len(bullets)} MUST bullets in section 7, {len(cases)} traced cases"
    areas = [case["area"] for case in cases]
    assert areas == [area for area, _ in bullets], "entries follow the bullets: same area at the same position"


def test_entries_are_well_formed(cases):
    ids = [case.get("case") for case in cases]
    assert len(set(ids)) == len(ids), "case ids are unique"
    for case in cases:
        assert CASE_ID.match(str(case.get("case"))), case
        assert set(case) <= {"case", "area", "text", "requirements", "tests", "gap", "note"}, case["case"]
        assert isinstance(case.get("text"), str) and case["text"].strip() and "\n" not in case["text"], case["case"]
        assert isinstance(case.get("requirements"), list) and case["requirements"], f"{case['case']}: no requirement"
        assert isinstance(case.get("tests"), list), case["case"]
        assert all("[" not in t and t.startswith("suites/") and "::" in t for t in case["tests"]), case["case"]


def test_every_requirement_exists(cases):
    known = contract.load_requirements()
    unknown = {case["case"]: [r for r in case["requirements"] if r not in known] for case in cases}
    assert not {k: v for k, v in unknown.items() if v}, unknown


def test_every_test_exists_and_names_one_of_its_requirements(cases, scan):
    tests_by_req = scan.tests_by_req
    known_tests = {t for tests in tests_by_req.values() for t in tests}
    missing = [(case["case"], t) for case in cases for t in case["tests"] if t not in known_tests]
    assert not missing, f"tests not found in the suites (renamed or removed?): {missing}"
    unrelated = [(case["case"], t) for case in cases for t in case["tests"]
                 if not any(t in tests_by_req.get(rid, []) for rid in case["requirements"])]
    assert not unrelated, f"tests whose req marker names none of the case's requirements: {unrelated}"


def test_every_case_without_tests_has_a_gap(cases):
    for case in cases:
        gap = case.get("gap")
        if not case["tests"]:
            assert isinstance(gap, str) and gap.strip(), f"{case['case']}: no test and no gap"
        elif gap is not None:
            assert gap.startswith("partial: "), f"{case['case']}: a gap next to tests says 'partial: ...'"


def test_trace_problems_finds_each_kind():
    reqs = {"A-ONE": {}, "B-TWO": {}}
    tests_by_req = {"A-ONE": ["suites/test_a.py::test_a"], "B-TWO": ["suites/test_b.py::test_b"]}
    cases = [
        {"case": "RS-X-1", "requirements": ["A-ONE"], "tests": ["suites/test_a.py::test_a"]},
        {"case": "RS-X-2", "requirements": ["GHOST"], "tests": [], "gap": "nothing yet"},
        {"case": "RS-X-3", "requirements": ["A-ONE"], "tests": ["suites/test_b.py::test_b", "suites/test_c.py::test_c"]},
        {"case": "RS-X-4", "requirements": ["B-TWO"], "tests": []},
    ]
    assert trace_problems(cases, reqs, tests_by_req) == [
        "RS-X-2: unknown requirement GHOST",
        "RS-X-3: suites/test_b.py::test_b names none of A-ONE",
        "RS-X-3: no test suites/test_c.py::test_c in the suites",
        "RS-X-4: no test and no gap",
    ]


# ---------------------------------------------------------------- the command


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    requirements_cmd.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_command_trace_prints_cases_requirements_tests_and_gaps(cases, capsys):
    assert requirements_cmd.run(_args("--trace")) == 0
    out = capsys.readouterr().out
    assert out.startswith("contract/trace/reliability-security.yaml")
    assert "RS-AUTH-1  " in out and "requirements: AUTH-KEY-REQUIRED" in out
    assert "    - suites/test_auth.py::test_request_without_key_is_401" in out
    assert out.count("    gap: ") == sum(1 for case in cases if case.get("gap"))
    assert f"{len(cases)} cases" in out and "PROBLEM" not in out


def test_command_trace_selects_by_case_or_requirement_id(capsys):
    requirements_cmd.run(_args("--trace", "RS-RATE-", "REDIRECT-DELETE"))
    heads = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("RS-")]
    assert heads == ["RS-RATE-1", "RS-RATE-2", "RS-RATE-3", "RS-RATE-4", "RS-RATE-5", "RS-REDIR-3"]


def test_command_trace_json(cases, capsys):
    assert requirements_cmd.run(_args("--trace", "--json")) == 0
    document = json.loads(capsys.readouterr().out)
    (entry,) = [t for t in document["traces"] if t["file"] == "contract/trace/reliability-security.yaml"]
    assert entry["source"] == "contract/source/reliability-security-cases.md"
    assert entry["problems"] == []
    assert [c["case"] for c in entry["cases"]] == [c["case"] for c in cases]
    assert entry["summary"]["cases"] == len(cases)
    assert entry["summary"]["without_tests"] == sum(1 for c in cases if not c["tests"])


def test_command_trace_fails_on_a_stale_test(tmp_path, capsys, monkeypatch):
    stale = {"version": 1, "source": "x.md", "cases": [
        {"case": "RS-X-1", "area": "A", "text": "t", "requirements": ["AUTH-KEY-REQUIRED"],
         "tests": ["suites/test_auth.py::test_that_was_renamed"]}]}
    (tmp_path / "stale.yaml").write_text(yaml.safe_dump(stale), encoding="utf-8")
    monkeypatch.setattr(requirements_cmd, "TRACE_DIR", tmp_path)
    assert requirements_cmd.run(_args("--trace")) == 1
    assert "PROBLEM: RS-X-1: no test suites/test_auth.py::test_that_was_renamed in the suites" in capsys.readouterr().out
