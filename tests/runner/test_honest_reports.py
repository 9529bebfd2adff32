"""Honest summaries in the reports: a partial run is never conformant, one cause that broke many tests is a
configuration problem (banner), repro bundles replay whole bodies and keep the kit CA option."""

from __future__ import annotations

from contract import load_requirements
from reports.html import render_html
from reports.model import RunResults, configuration_problem
from reports.repro import north_curls, replay_command
from tests.reports.conftest import make_test

CATALOGUE = load_requirements()
REQ = "AUTH-KEY-REQUIRED"  # a MUST


def _results(tests, **meta) -> RunResults:
    return RunResults.build(tests, CATALOGUE, **meta)


def test_a_selected_run_that_passes_is_partial_never_conformant_and_a_failure_still_counts():
    passing = [make_test("suites/test_send.py::t", "pass", reqs=(REQ,))]
    assert _results(passing).verdict == "conformant"
    partial = _results(passing, selection={"reasons": ["-k t"], "collected": 1010, "ran": 1})
    assert partial.verdict == "partial"
    failing = [*passing, make_test("suites/test_send.py::u", "fail", reqs=(REQ,))]
    assert _results(failing, selection={"reasons": ["--req SEND-"]}).verdict == "not-conformant"
    html = render_html(partial)
    assert 'id="verdict">PARTIAL' in html and "Only part of the suites was judged" in html and "-k t" in html


def test_one_cause_breaking_many_tests_is_a_configuration_problem_banner():
    broken = [make_test(f"suites/test_send.py::t{i}", "fail", reqs=(REQ,),
                        message="Failed: missing-prerequisite: the simulator at http://x does not answer")
              for i in range(6)]
    problem = configuration_problem(broken + [make_test("suites/test_send.py::ok", "pass", reqs=(REQ,))])
    assert problem == {"message": broken[0].message, "tests": 6, "of": 7}
    assert configuration_problem([make_test("suites/a.py::t", "fail", reqs=(REQ,), message="assert 1 == 2")]) is None
    html = render_html(_results(broken))
    assert 'id="configuration-problem"' in html and "fiwano-conformance doctor" in html


def test_north_curl_keeps_whole_bodies_and_never_replays_a_shortened_one():
    body = '{"text": "' + "x" * 5000 + '"}'
    north = (f"> POST http://t/api/v1/messages/send  [x-api-key: <redacted>, content-type: application/json]\n"
             f">   {body}\n< 400 {{}}\n"
             f"> POST http://t/api/v1/messages/send  [x-api-key: <redacted>]\n>   {'y' * 10} ... (9000 chars)\n< 400")
    whole, shortened = north_curls(north)
    assert whole.endswith("--data-raw '" + body + "'")
    assert shortened.startswith("# body shortened in the evidence (9000 chars)")


def test_replay_keeps_the_kit_ca_directory():
    command = replay_command(make_test("suites/test_relay.py::t", "fail"),
                             {"target": "http://t", "sink_ca_dir": "/home/u/.cache/fiwano/ca"})
    assert "--fiwano-sink-ca-dir=/home/u/.cache/fiwano/ca" in command


def test_a_users_reports_package_on_the_path_does_not_break_report_render(tmp_path):
    """The installed kit keeps generic top-level names; the command puts its own first when shadowed."""
    import os
    import subprocess
    import sys

    from reports import provenance
    from reports.outputs import write_results_json

    user = tmp_path / "user"
    (user / "reports").mkdir(parents=True)
    (user / "reports" / "__init__.py").write_text('raise ImportError("the user\'s own reports package")\n')
    results = tmp_path / "res"
    results.mkdir()
    write_results_json(_results([make_test("suites/test_send.py::t", "pass", reqs=(REQ,))],
                                versions=provenance.versions(None), seeds=provenance.seeds({}, None)), results)
    completed = subprocess.run([sys.executable, "-m", "fiwano_conformance", "report", "render", str(results)],
                               cwd=user, env={**os.environ, "PYTHONPATH": str(user)}, capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert 'id="verdict">CONFORMANT' in (results / "report.html").read_text()
