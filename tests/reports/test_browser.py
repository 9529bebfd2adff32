"""report.html in a real headless Chromium: it renders, the matrix shows, a failure's evidence is visible,
and it loads nothing but itself. Skipped (with the reason) where Chromium is not installed."""

from __future__ import annotations

import pytest

from tests.reports import browser_check
from reports.html import write_html
from reports.model import RunResults
from tests.reports.conftest import CATALOGUE, make_test

pytestmark = pytest.mark.skipif(
    browser_check.find_chromium() is None,
    reason="Chromium is not installed: apt-get update && apt-get install -y chromium (or set CHROMIUM=/path)")


def test_report_renders_in_headless_chromium(tmp_path, sample_results):
    report = write_html(sample_results, tmp_path / "report.html")
    shot = tmp_path / "top.png"
    inspection = browser_check.inspect(report, screenshot=shot, failure_screenshot=tmp_path / "failure.png")
    assert browser_check.problems(inspection, report, expect_failure=True) == []
    probe = inspection["probe"]
    assert probe["verdict"] == "NOT CONFORMANT"
    assert probe["matrixHeader"] == ["requirement", "WhatsApp", "Instagram", "Messenger"]
    assert probe["matrixRows"] == 4 and "fail" in probe["cells"]
    assert probe["failure"] == "suites/test_text_limits.py::test_limit[instagram]"
    assert [e["title"].split(":")[0] for e in probe["evidence"] if e["box"]["shown"]] == ["north", "south", "east"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "failure.png").stat().st_size > 1000


def test_the_check_fails_a_page_without_matrix_or_with_network_assets(tmp_path):
    page = tmp_path / "report.html"
    page.write_text('<html><body><p id="verdict">OK</p><img src="http://127.0.0.1:9/x.png"></body></html>')
    found = browser_check.problems(browser_check.inspect(page), page)
    assert any("matrix" in p for p in found) and any("not self-contained" in p for p in found)


def test_script_exit_codes(tmp_path, sample_results):
    report = write_html(sample_results, tmp_path / "report.html")
    assert browser_check.main([str(report), "--expect-failure"]) == browser_check.EXIT_OK
    passing = RunResults.build([make_test("suites/t.py::t", "pass", reqs=("ERR-FORMAT",))], CATALOGUE)
    clean = write_html(passing, tmp_path / "clean.html")
    assert browser_check.main([str(clean)]) == browser_check.EXIT_OK  # a clean run is a fine report
    assert browser_check.main([str(clean), "--expect-failure"]) == browser_check.EXIT_FAILED
