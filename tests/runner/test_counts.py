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
'''


def test_subtests_fold_into_their_test_with_the_same_counts_in_every_output(tmp_path):
    (tmp_path / "test_sample.py").write_text(TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "test_sample.py", "-p", "reports.collector", f"--fiwano-results={out}",
         "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    output = completed.stdout + completed.stderr
    assert re.search(r"=+ 1 failed, 1 passed in ", output), output[-2000:]
    data = json.loads((out / "results.json").read_text())
    assert {t["nodeid"]: t["status"] for t in data["tests"]} == {
        "test_sample.py::test_operations": "fail", "test_sample.py::test_plain": "pass"}
    failed = next(t for t in data["tests"] if t["status"] == "fail")
    assert failed["message"].startswith("POST /b: ")
    assert (data["counts"]["pass"], data["counts"]["fail"]) == (1, 1)
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    assert len(suite.findall("testcase")) == 2
    html = (out / "report.html").read_text()
    assert "1 pass</span>" in html and "1 fail</span>" in html
