"""``report diff`` (regressions and fixes, exit 1 on a regression) and ``report render``."""

from __future__ import annotations

import json

import pytest

from fiwano_conformance import cli
from reports.diff import diff_runs, render_text
from reports.model import RunResults
from reports.outputs import write_results_json
from tests.reports.conftest import CATALOGUE, make_test


def run_of(**statuses: str) -> RunResults:
    reqs = {"a": ("SEND-TEXT-LIMIT",), "b": ("ERR-FORMAT",), "c": ("AUTH-HEADER-CASE",), "d": ("RELAY-FROM-WA",),
            "e": ("ERR-FORMAT",)}
    tests = [make_test(f"suites/t.py::{name}", status, reqs=reqs[name]) for name, status in statuses.items()]
    return RunResults.build(tests, CATALOGUE, seeds={"fiwano_seed": 0},
                            versions={"kit": "0.1.0", "contract": {}, "profile": {"name": "default"}})


def test_regressions_fixes_and_other_changes():
    old = run_of(a="pass", b="fail", c="pass", d="xfail")
    new = run_of(a="fail", b="pass", c="not-claimed", d="error", e="fail")
    diff = diff_runs(old, new)
    assert [c.id for c in diff.regressions] == ["suites/t.py::a", "suites/t.py::d", "suites/t.py::e"]
    assert [c.id for c in diff.fixes] == ["suites/t.py::b"]
    assert [(c.id, c.old, c.new) for c in diff.other] == [("suites/t.py::c", "pass", "not-claimed")]
    assert [c.id for c in diff.requirement_regressions] == ["SEND-TEXT-LIMIT", "RELAY-FROM-WA"]
    text = render_text(diff)
    assert "3 regression(s), 1 fix(es)" in text and "pass ->" in text


def test_a_changed_seed_or_version_is_noted():
    old, new = run_of(a="pass"), run_of(a="pass")
    new.seeds = {"fiwano_seed": 9}
    new.versions = {**old.versions, "kit": "0.2.0"}
    notes = diff_runs(old, new).notes
    assert any("kit differs" in n for n in notes) and any("seeds differ" in n for n in notes)


def _write(directory, results):
    directory.mkdir()
    write_results_json(results, directory)
    return str(directory)


def test_cli_diff_exits_1_on_a_regression_and_0_otherwise(tmp_path, capsys):
    old = _write(tmp_path / "old", run_of(a="pass", b="fail"))
    worse = _write(tmp_path / "worse", run_of(a="fail", b="fail"))
    better = _write(tmp_path / "better", run_of(a="pass", b="pass"))
    assert cli.main(["report", "diff", old, worse]) == 1
    assert "1 regression(s)" in capsys.readouterr().out
    assert cli.main(["report", "diff", old, better, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fixes"][0]["id"] == "suites/t.py::b"


def test_cli_refuses_an_invalid_results_file(tmp_path, capsys):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "results.json").write_text('{"verdict": "great"}')
    good = _write(tmp_path / "good", run_of(a="pass"))
    assert cli.main(["report", "diff", str(tmp_path / "bad"), good]) == 2
    assert "not a valid results.json" in capsys.readouterr().err


def test_cli_render_rebuilds_the_page_and_bundles(tmp_path, capsys, sample_results):
    directory = tmp_path / "run"
    directory.mkdir()
    write_results_json(sample_results, directory)
    assert cli.main(["report", "render", str(directory), "--docs-url", "https://docs.example/fiwano"]) == 0
    assert "Report: " in capsys.readouterr().out
    html = (directory / "report.html").read_text()
    assert "NOT CONFORMANT" in html and 'href="https://docs.example/fiwano"' in html
    assert (directory / "repro" / "001-test_text_limits.py_test_limit_instagram" / "replay.sh").exists()


def test_report_needs_an_action():
    with pytest.raises(SystemExit):
        cli.main(["report"])
