"""One real pytest run (under xdist, two workers) of a small suite-style module with the collector loaded.

The module uses the real suites plugin (``__fiwano_suite__``), so requirement ids, levels, ``not-claimed``
skips and evidence sections reach the collector exactly as in a conformance run, serialized by xdist.
Every output is then checked: results.json against its schema, junit.xml with junitparser, report.html,
the repro bundle, and that no secret given to or met by the run appears in any file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import junitparser
import pytest

from reports.schema import validate_results

API_KEY = "mip_live_Zq8sEcReTkEy0123456789"
OPTION_KEY = "plain-option-key-7f3a9c"  # no recognizable shape: only known because it was configured
WEBHOOK_SECRET = "whsec_4b1d5e7a9c"
BEARER = "EAAGm0PX4ZCpsBAtokenvalue"

SUITE = textwrap.dedent(f'''
    import pytest

    __fiwano_suite__ = True


    @pytest.mark.req("SEND-TEXT-LIMIT")
    @pytest.mark.level("api")
    @pytest.mark.parametrize("channel_type", ["whatsapp", "instagram", "facebook"])
    def test_limit(channel_type):
        print("debug: webhook_secret={WEBHOOK_SECRET} key {OPTION_KEY}")
        assert channel_type != "instagram", "saw {API_KEY} in the answer"


    @pytest.mark.req("ERR-FORMAT")
    @pytest.mark.level("api")
    def test_neutral(request):
        request.node.user_properties.append(("fiwano_real_time_seconds", 12.5))  # as suites/clock.py reports


    @pytest.fixture
    def broken_helper():
        raise RuntimeError("the simulator did not answer")


    @pytest.mark.req("AUTH-KEY-REQUIRED")
    @pytest.mark.level("api")
    def test_harness_breaks(broken_helper):
        pass


    @pytest.mark.req("AUTH-HEADER-CASE")
    @pytest.mark.level("api")
    @pytest.mark.xfail(reason="known: lower-case header refused", strict=True)
    def test_known_bug():
        assert False


    @pytest.mark.req("AUTH-BEFORE-LOOKUP")
    @pytest.mark.level("api")
    def test_baselined():
        assert False, "still broken"
''')

CONFTEST = textwrap.dedent(f'''
    import pytest


    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        """Attach evidence the way suites/evidence.py renders it (raw secrets included, to prove redaction)."""
        report = yield
        if report.failed and call.when == "call":
            report.sections.append(("fiwano evidence: north (REST calls to the target)",
                "> POST http://127.0.0.1:9/api/v1/messages/send  [x-api-key: {API_KEY}, content-type: application/json]\\n"
                ">   {{\\"channel_id\\":\\"c1\\",\\"recipient\\":\\"42\\",\\"text\\":\\"hi\\"}}\\n"
                "< 400 (2 ms) {{\\"detail\\":\\"nope\\"}}"))
            report.sections.append(("fiwano evidence: south (simulator journal)",
                "[simulator world w_1 journal]\\n#1 POST /v21.0/1/messages?access_token={BEARER} -> 200\\n"
                "    request: {{\\"recipient\\": {{\\"id\\": \\"42\\"}}}}\\n    response: {{\\"message_id\\": \\"m_1\\"}}"))
            report.sections.append(("fiwano evidence: east (requests that reached the sink)",
                "Authorization: Bearer {BEARER}\\nwebhook_secret: {WEBHOOK_SECRET}"))
        return report
''')

KNOWN = "known_failures:\n  - test: 'test_demo_suite.py::test_baselined'\n    reason: 'tracked as bug 7'\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    (root / "test_demo_suite.py").write_text(SUITE)
    (root / "conftest.py").write_text(CONFTEST)
    (root / "known.yaml").write_text(KNOWN)
    out = root / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "reports.collector", "-n", "2",
         f"--fiwano-results={out}", f"--junitxml={out / 'junit.xml'}", "--fiwano-known-failures=known.yaml",
         "--fiwano-channels=whatsapp,instagram", f"--fiwano-api-key={OPTION_KEY}", "-o", "junit_family=xunit2",
         "test_demo_suite.py"],
        cwd=root, capture_output=True, text=True, timeout=120)
    assert (out / "results.json").exists(), completed.stdout + completed.stderr
    return out, completed


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def test_results_json_validates_and_has_the_kit_statuses(run):
    out, completed = run
    data = results(out)
    validate_results(data)
    status = {t["nodeid"].split("::")[1]: t["status"] for t in data["tests"]}
    assert status == {"test_limit[whatsapp]": "pass", "test_limit[instagram]": "fail",
                      "test_limit[facebook]": "not-claimed", "test_neutral": "pass", "test_harness_breaks": "error",
                      "test_known_bug": "xfail", "test_baselined": "xfail"}
    assert data["verdict"] == "error"  # the harness broke: never a pass or a plain fail
    assert data["counts"] == {"pass": 2, "fail": 1, "error": 1, "not-claimed": 1, "xfail": 2, "skip": 0}
    limit = next(r for r in data["requirements"] if r["id"] == "SEND-TEXT-LIMIT")
    assert limit["by_channel"] == {"whatsapp": "pass", "instagram": "fail", "facebook": "not-claimed"}
    failed = next(t for t in data["tests"] if t["status"] == "fail")
    assert failed["channel"] == "instagram" and failed["requirements"] == ["SEND-TEXT-LIMIT"]
    assert set(failed["evidence"]) == {"north", "south", "east"} and failed["duration"] >= 0
    assert data["configuration"]["claimed_level"] == "controlled"
    assert data["versions"]["kit"] and data["versions"]["contract"]["requirements_sha256"]
    assert data["seeds"]["fiwano_seed"] == 0
    assert "fiwano results: error" in completed.stdout
    waited = {t["nodeid"].split("::")[1]: t["real_time_seconds"] for t in data["tests"]}
    assert waited.pop("test_neutral") == 12.5 and set(waited.values()) == {None}


def test_junit_xml_is_accepted_by_a_junit_consumer(run):
    out, _ = run
    xml = junitparser.JUnitXml.fromfile(str(out / "junit.xml"))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = [case for suite in suites for case in suite]
    assert len(cases) == 7
    by_name = {case.name: case for case in cases}
    assert [type(r).__name__ for r in by_name["test_limit[instagram]"].result] == ["Failure"]
    assert [type(r).__name__ for r in by_name["test_harness_breaks"].result] == ["Error"]
    text = (out / "junit.xml").read_text()
    assert '<property name="fiwano_status" value="not-claimed"' in text
    assert '<property name="fiwano_known_failure" value="tracked as bug 7"' in text
    assert '<property name="fiwano_verdict" value="error"' in text


def test_report_html_shows_failures_first_with_their_evidence(run):
    out, _ = run
    html = (out / "report.html").read_text()
    order = [html.index(f'id="{anchor}"') for anchor in ("verdict", "scores", "matrix", "failures", "xfail",
                                                          "not-claimed", "passed", "docs", "run")]
    assert order == sorted(order)
    failures = html[html.index('id="failures"'):html.index('id="xfail"')]
    assert "test_limit[instagram]" in failures and "test_harness_breaks" in failures
    assert "evidence-north" in failures and "evidence-south" in failures and "evidence-east" in failures
    assert 'href="#docs-sending-messages-text-length-limits-errors"' in html
    assert 'id="docs-sending-messages-text-length-limits-errors"' in html


def test_a_failed_test_gets_a_reproduction_bundle(run):
    out, _ = run
    bundles = sorted(p.name for p in (out / "repro").iterdir())
    # one per fail or error, numbered in node-id order (deterministic whatever the xdist scheduling)
    assert bundles == ["001-test_demo_suite.py_test_harness_breaks", "002-test_demo_suite.py_test_limit_instagram"]
    bundle = out / "repro" / bundles[1]
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert names == {"README.md", "replay.sh", "north.curl.sh", "simulator-script.json", "config.json",
                     "failure.txt", "evidence/north.txt", "evidence/south.txt", "evidence/east.txt"}
    replay = (bundle / "replay.sh").read_text()
    assert "test_demo_suite.py::test_limit[instagram]" in replay and "--fiwano-channels=whatsapp,instagram" in replay
    script = json.loads((bundle / "simulator-script.json").read_text())
    assert script["journal"][0]["method"] == "POST" and script["journal"][0]["response"] == {"message_id": "m_1"}
    assert '-H "X-API-Key: $FIWANO_API_KEY"' in (bundle / "north.curl.sh").read_text()


def test_replay_sh_reruns_exactly_the_failed_test(run):
    out, _ = run
    bundle = next((out / "repro").glob("*test_limit_instagram"))
    # as replay.sh says: secrets come from the environment (here the key the run was given as an option)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "FIWANO_API_KEYS": OPTION_KEY}
    completed = subprocess.run(["sh", str(bundle / "replay.sh"), "-q"], capture_output=True, text=True, timeout=120,
                               env=env)
    assert "1 failed" in completed.stdout, completed.stdout + completed.stderr
    assert json.loads((bundle / "replay-results" / "results.json").read_text())["counts"]["fail"] == 1


@pytest.mark.parametrize("secret", [API_KEY, OPTION_KEY, WEBHOOK_SECRET, BEARER])
def test_no_secret_reaches_any_output(run, secret):
    out, _ = run
    leaks = [str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and secret in p.read_text(errors="replace")]
    assert leaks == []
