"""One set of counts: a test with subtests (the contract fuzzer checks one API operation per subtest) is one
test everywhere - pytest's terminal line, results.json, junit.xml and report.html - and a failing subtest
fails it. Before, pytest said 1010 passed while results.json and junit.xml had 1029 tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

TESTS = '''
def test_operations(subtests):
    for label in ("GET /a", "POST /b", "DELETE /c"):
        with subtests.test(label=label):
            assert label != "POST /b", "POST /b broke the contract"

def test_plain():
    pass

import pytest

@pytest.fixture
def simulator():
    pytest.fail("missing-prerequisite: the simulator at http://127.0.0.1:9 does not answer", pytrace=False)

def test_needs_the_simulator(simulator):
    pass

def test_not_claimed():
    pytest.skip("not-claimed: needs the controlled level, the run claims api")
'''


def test_subtests_fold_into_their_test_with_the_same_counts_in_every_output(tmp_path):
    (tmp_path / "test_sample.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "test_sample.py", "-p", "reports.collector", f"--fiwano-results={out}",
         "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    output = completed.stdout + completed.stderr
    # pytest's own line in the kit's terms: a missing prerequisite is a failure (pytest alone says "error")
    assert re.search(r"=+ 2 failed, 1 passed, 1 not-claimed in ", output), output[-2000:]
    data = json.loads((out / "results.json").read_text())
    assert {t["nodeid"]: t["status"] for t in data["tests"]} == {
        "test_sample.py::test_operations": "fail", "test_sample.py::test_plain": "pass",
        "test_sample.py::test_needs_the_simulator": "fail", "test_sample.py::test_not_claimed": "not-claimed"}
    failed = next(t for t in data["tests"] if t["nodeid"].endswith("test_operations"))
    assert failed["message"].startswith("POST /b: ")
    assert (data["counts"]["pass"], data["counts"]["fail"], data["counts"]["not-claimed"]) == (1, 2, 1)
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("4", "2", "0", "1")
    assert len(suite.findall("testcase")) == 4
    html = (out / "report.html").read_text()
    assert "1 pass</span>" in html and "2 fail</span>" in html and "1 not-claimed</span>" in html
