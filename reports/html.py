"""report.html: one self-contained page a person reads first (no network assets, no script needed).

Order follows what users of conformance reports ask for (shared/research/conformance-anchors.md §4):
the verdict and a score per level, the requirement x channel matrix, then failures and errors first with
their evidence on all three sides, then known failures (xfail), then what the run did not claim, then
what passed. Each requirement links to its docs section, which the page carries as an excerpt of the
contract's docs snapshot (:mod:`reports.docs`).

Rendering is pure: a :class:`reports.model.RunResults` in, a string out. Everything is autoescaped and
redacted once more, so no evidence can inject markup or leak a secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from reports import docs
from fiwano_conformance.shared.results import ERROR, FAIL, NOT_CLAIMED, PASS, SKIP, XFAIL
from reports.model import CHANNELS, CONFORMANT, NOT_CONFORMANT, RunResults
from fiwano_conformance.shared.redact import redact
from reports.repro import bundle_name

TEMPLATE = "report.html.j2"
CHANNEL_LABELS = {"whatsapp": "WhatsApp", "instagram": "Instagram", "facebook": "Messenger"}
SIDE_LABELS = {"north": "north: REST calls to the target", "south": "south: simulator journal (calls to Meta)",
               "east": "east: requests that reached the webhook sink", "notes": "notes"}
VERDICT_LABELS = {CONFORMANT: "CONFORMANT", NOT_CONFORMANT: "NOT CONFORMANT", "error": "ERROR", "partial": "PARTIAL"}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["redact"] = redact
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return env


def context(results: RunResults, repro_dir: str | None = "repro", docs_url: str | None = None) -> dict[str, Any]:
    failing = results.tests_with(FAIL, ERROR)
    bundles = {t.nodeid: f"{repro_dir}/{bundle_name(i, t)}" for i, t in enumerate(failing, start=1)} \
        if repro_dir else {}
    sections = {}
    for requirement in results.requirements:
        if requirement.section and requirement.section not in sections:
            sections[requirement.section] = docs.section(requirement.section)
    first_failure: dict[str, Any] = {}
    for test in failing:
        for rid in test.requirements:
            first_failure.setdefault(rid, "t-" + str(results.tests.index(test)))
    return {
        "r": results,
        "verdict_label": VERDICT_LABELS.get(results.verdict, results.verdict.upper()),
        "channels": CHANNELS,
        "channel_labels": CHANNEL_LABELS,
        "side_labels": SIDE_LABELS,
        "failing": failing,
        "xfails": results.tests_with(XFAIL),
        "not_claimed": results.tests_with(NOT_CLAIMED),
        "skipped": results.tests_with(SKIP),
        "passed": results.tests_with(PASS),
        "test_index": {t.nodeid: i for i, t in enumerate(results.tests)},
        "bundles": bundles,
        "docs_sections": sections,
        "docs_anchor": docs.anchor,
        "docs_url": docs_url,
        "first_failure": first_failure,
        "requirement_of": {r.id: r for r in results.requirements},
    }


def render_html(results: RunResults, repro_dir: str | None = "repro", docs_url: str | None = None) -> str:
    return _environment().get_template(TEMPLATE).render(**context(results, repro_dir, docs_url))


def write_html(results: RunResults, path: Path, repro_dir: str | None = "repro", docs_url: str | None = None) -> Path:
    path.write_text(render_html(results, repro_dir, docs_url), encoding="utf-8")
    return path
