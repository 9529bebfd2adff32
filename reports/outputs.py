"""Writes every output of a run into its results directory, from one :class:`RunResults`.

One entry point so that the collector (at the end of a pytest session) and ``fiwano-conformance report
render`` (later, from a results.json) produce exactly the same files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from reports.model import RunResults

RESULTS_FILE, HTML_FILE, JUNIT_FILE, REPRO_DIR = "results.json", "report.html", "junit.xml", "repro"


def write_results_json(results: RunResults, directory: Path) -> Path:
    path = directory / RESULTS_FILE
    path.write_text(json.dumps(results.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_results(directory_or_file: Path) -> RunResults:
    path = Path(directory_or_file)
    if path.is_dir():
        path = path / RESULTS_FILE
    return RunResults.from_json(json.loads(path.read_text(encoding="utf-8")))


def write_outputs(results: RunResults, directory: Path, junit: Path | None = None,
                  secrets: Iterable[str] = ()) -> dict[str, Path]:
    """results.json, report.html, junit.xml (the kit's, one case per test with the kit's status: the same
    counts everywhere), repro/<test>/ for each failure; ``junit`` (a file pytest wrote elsewhere for this
    run with ``--junitxml``, if any) is enriched in place."""
    from reports.html import write_html
    from reports.junit import enrich_junit, write_junit
    from reports.repro import write_bundles

    directory.mkdir(parents=True, exist_ok=True)
    written = {"results": write_results_json(results, directory)}
    written["repro"] = write_bundles(results, directory / REPRO_DIR)
    written["html"] = write_html(results, directory / HTML_FILE, repro_dir=REPRO_DIR)
    written["junit"] = write_junit(results, directory / JUNIT_FILE, secrets=list(secrets))
    if junit is not None and junit.exists() and junit.resolve() != written["junit"].resolve():
        enrich_junit(junit, results, secrets=list(secrets))
    return written
