"""``fiwano-conformance report``: re-render a run's outputs or compare two runs.

* ``report render RESULTS_DIR [--docs-url URL]``: rebuild report.html and the reproduction bundles from
  ``RESULTS_DIR/results.json`` (after an upgrade of the kit's templates, or for a results.json from CI);
* ``report diff OLD NEW [--json]``: regressions and fixes between two runs (directories or results.json
  files); exit 1 when there is a regression, so a CI job can gate on it.

Exit codes: 0 fine, 1 regressions, 2 unreadable or invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    render = sub.add_parser("render", help="rebuild report.html and repro/ from RESULTS_DIR/results.json")
    render.add_argument("results_dir", metavar="RESULTS_DIR")
    render.add_argument("--docs-url", help="public URL of the Fiwano docs, linked next to each docs excerpt")
    diff = sub.add_parser("diff", help="regressions and fixes between two runs (exit 1 on a regression)")
    diff.add_argument("old", metavar="OLD", help="results directory or results.json of the earlier run")
    diff.add_argument("new", metavar="NEW", help="results directory or results.json of the later run")
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")


def _load(path: str):
    from reports.outputs import load_results
    from reports.schema import validate_results

    source = Path(path)
    file = source / "results.json" if source.is_dir() else source
    data = json.loads(file.read_text(encoding="utf-8"))
    validate_results(data)
    return load_results(file)


def run(args: argparse.Namespace) -> int:
    try:
        if args.report_command == "render":
            return _render(args)
        return _diff(args)
    except (OSError, ValueError) as exc:
        print(f"fiwano-conformance report: {exc}", file=sys.stderr)
        return 2


def _render(args: argparse.Namespace) -> int:
    from reports.html import write_html
    from reports.outputs import HTML_FILE, REPRO_DIR
    from reports.repro import write_bundles

    directory = Path(args.results_dir)
    results = _load(str(directory))
    write_bundles(results, directory / REPRO_DIR)
    path = write_html(results, directory / HTML_FILE, repro_dir=REPRO_DIR, docs_url=args.docs_url)
    print(f"Report: {path.resolve()}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from reports.diff import diff_runs, render_text

    result = diff_runs(_load(args.old), _load(args.new))
    print(json.dumps(result.to_json(), indent=2) if args.json else render_text(result))
    return 1 if result.regressions or result.requirement_regressions else 0
