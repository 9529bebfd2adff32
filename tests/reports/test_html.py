"""report.html from a synthetic run: section order, the matrix, evidence, escaping, no network assets."""

from __future__ import annotations

import re

from reports.html import render_html
from reports.model import RunResults
from tests.reports.conftest import CATALOGUE, make_test


def test_verdict_scores_matrix_then_failures_xfail_not_claimed(sample_results):
    html = render_html(sample_results)
    assert "NOT CONFORMANT" in html
    anchors = ["verdict", "scores", "matrix", "failures", "xfail", "not-claimed", "passed", "docs", "run"]
    positions = [html.index(f'id="{a}"') for a in anchors]
    assert positions == sorted(positions)
    matrix = html[html.index('id="matrix"'):html.index('id="failures"')]
    assert matrix.count('<tr id="req-') == len(CATALOGUE)
    row = matrix[matrix.index('id="req-SEND-TEXT-LIMIT"'):matrix.index('id="req-ERR-FORMAT"')]
    assert re.findall(r'data-channel="(\w+)" data-status="([\w-]+)"', row) == [
        ("whatsapp", "pass"), ("instagram", "fail"), ("facebook", "not-claimed")]
    wa_only = matrix[matrix.index('id="req-RELAY-FROM-WA"'):]
    assert 'title="does not apply to this channel"' in wa_only


def test_failure_shows_its_evidence_on_all_three_sides_and_links_its_bundle(sample_results):
    html = render_html(sample_results)
    failures = html[html.index('id="failures"'):html.index('id="xfail"')]
    for side in ("north", "south", "east"):
        assert f"evidence-{side}" in failures
    assert "POST /v21.0/123/messages" in failures
    assert "repro/001-test_text_limits.py_test_limit_instagram/replay.sh" in failures
    # the matrix cell of the failure links to it
    assert 'href="#t-1"' in html and 'id="t-1"' in html


def test_every_requirement_links_to_its_docs_section_carried_in_the_page(sample_results):
    html = render_html(sample_results)
    for entry in CATALOGUE.values():
        anchor = "docs-" + re.sub(r"[^a-z0-9]+", "-", entry["section"].lower()).strip("-")
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert "Text length limits &amp; errors" in html  # the excerpt of the docs snapshot


def test_evidence_is_escaped_and_redacted(sample_results):
    sample_results.tests[1].evidence["north"] += "\nX-API-Key: mip_live_leakedKEY123 token=abcdefghij"
    html = render_html(sample_results)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "leakedKEY123" not in html and "abcdefghij" not in html


def test_self_contained_no_external_assets(sample_results):
    html = render_html(sample_results, docs_url=None)
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert not re.search(r"(src=|@import|url\()", html)
    assert not re.search(r'href="(?!#)', html)  # only in-page links


def test_a_conformant_run_says_so():
    results = RunResults.build([make_test("suites/t.py::t", "pass", reqs=("ERR-FORMAT",))], CATALOGUE)
    html = render_html(results)
    assert 'class="verdict conformant"' in html and "CONFORMANT" in html and "<p>None.</p>" in html
