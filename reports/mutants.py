"""Outputs of the mutant self-test: mutants.json (with a schema), a JUnit file and an HTML page.

The self-test runner (fiwano_conformance/selftest/, ``fiwano-conformance selftest mutants``) hands over one plain
JSON document (see ``reports/mutants_schema.json``); this module validates it and renders it, the way
:mod:`reports.outputs` does for a suite run, and with the same page style as report.html (the stylesheet
is taken from that template, not copied). Like the rest of ``reports/`` it imports nothing of the suites,
the simulator or the reference.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from fiwano_conformance.shared.redact import redact
from fiwano_conformance.shared.results import REQ_PROPERTY

SCHEMA_FILE = Path(__file__).resolve().parent / "mutants_schema.json"
FORMAT = "fiwano-mutants/1"
JSON_FILE, JUNIT_FILE, HTML_FILE = "mutants.json", "mutants-junit.xml", "mutants.html"
TEMPLATE = "mutants.html.j2"
STATUS_BADGE = {"killed": "s-pass", "survived": "s-fail", "error": "s-error"}


# ------------------------------------------------------------------------------------------- schema


@lru_cache(maxsize=1)
def mutants_schema() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def validate_mutants(data: Any) -> None:
    """Raise ValueError (with the JSON path) when ``data`` is not a valid mutants.json document."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(mutants_schema()).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        shown = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}" for e in errors[:5])
        raise ValueError(f"not a valid mutants.json ({len(errors)} problem(s)): {shown}")


def summarize(mutants: list[dict[str, Any]]) -> dict[str, Any]:
    """The derived fields of a document (score, counts, per-requirement table) from its mutant entries."""
    counts = {"killed": 0, "survived": 0, "error": 0, "smoke_broken": 0}
    requirements: dict[str, dict[str, list[str]]] = {}
    for mutant in mutants:
        counts[mutant["status"]] += 1
        counts["smoke_broken"] += bool(mutant["smoke_broken"])
        for rid in mutant["requirements"]:
            entry = requirements.setdefault(rid, {"mutants": [], "killed_by_own_tests": []})
            entry["mutants"].append(mutant["name"])
            if mutant["status"] != "error" and mutant["by_requirement"].get(rid):
                entry["killed_by_own_tests"].append(mutant["name"])
    total = len(mutants)
    return {"score": counts["killed"] / total if total else 1.0, "killed": counts["killed"], "total": total,
            "counts": counts, "requirements": dict(sorted(requirements.items()))}


# ------------------------------------------------------------------------------------------- JSON


def write_mutants_json(data: dict[str, Any], directory: Path) -> Path:
    validate_mutants(data)
    path = Path(directory) / JSON_FILE
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_mutants(directory_or_file: Path) -> dict[str, Any]:
    path = Path(directory_or_file)
    if path.is_dir():
        path = path / JSON_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    validate_mutants(data)
    return cast(dict[str, Any], data)


# ------------------------------------------------------------------------------------------- JUnit


def junit_tree(data: dict[str, Any]) -> ET.ElementTree:
    """One testcase per mutant (classname ``mutants``): survived = failure, error = error."""
    mutants = data["mutants"]
    counts = data["counts"]
    suites = ET.Element("testsuites", name="fiwano mutant self-test")
    suite = ET.SubElement(suites, "testsuite", name="fiwano-mutants", tests=str(len(mutants)),
                          failures=str(counts["survived"]), errors=str(counts["error"]), skipped="0",
                          time=f"{data['seconds']:.3f}", timestamp=data["started_at"])
    props = ET.SubElement(suite, "properties")
    for name, value in (("mutation_score", f"{data['score']:.4f}"), ("jobs", str(data["jobs"])),
                        ("smoke_broken", str(counts["smoke_broken"])), ("smoke_tests", " ".join(data["smoke_tests"]))):
        ET.SubElement(props, "property", name=name, value=value)
    for mutant in mutants:
        case = ET.SubElement(suite, "testcase", classname="mutants", name=mutant["name"],
                             time=f"{mutant['seconds'].get('total', 0.0):.3f}")
        cprops = ET.SubElement(case, "properties")
        for name, value in ((REQ_PROPERTY, " ".join(mutant["requirements"])), ("mutant_status", mutant["status"]),
                            ("smoke_broken", str(mutant["smoke_broken"]).lower())):
            ET.SubElement(cprops, "property", name=name, value=value)
        lines = [f"defect: {mutant['defect']}"]
        lines += [f"killed by {t}" for t in mutant["killed_by"]]
        lines += [f"requirement {rid}: {'a test of it failed' if tests else 'NO test of it failed'}"
                  for rid, tests in mutant["by_requirement"].items()]
        lines += [f"smoke test failed (broken beyond its defect): {t}" for t in mutant["smoke_failures"]]
        if mutant["status"] == "survived":
            failure = ET.SubElement(case, "failure", message=f"mutant {mutant['name']} SURVIVED: no test of "
                                    f"{', '.join(mutant['requirements'])} failed")
            failure.text = redact(mutant.get("output_tail", ""))
        elif mutant["status"] == "error":
            error = ET.SubElement(case, "error", message=redact(mutant["error"])[:500])
            error.text = redact(mutant.get("output_tail", ""))
        ET.SubElement(case, "system-out").text = redact("\n".join(lines))
    ET.indent(suites)
    return ET.ElementTree(suites)


def write_mutants_junit(data: dict[str, Any], path: Path) -> Path:
    junit_tree(data).write(path, encoding="utf-8", xml_declaration=True)
    return Path(path)


# ------------------------------------------------------------------------------------------- HTML


@lru_cache(maxsize=1)
def shared_stylesheet() -> str:
    """The stylesheet of report.html (taken from its template, so both pages keep one look)."""
    from reports.html import TEMPLATE as REPORT_TEMPLATE, _environment

    env = _environment()
    assert env.loader is not None  # _environment() always sets the package loader
    source = env.loader.get_source(env, REPORT_TEMPLATE)[0]
    found = re.search(r"<style>(.*?)</style>", source, re.S)
    return found.group(1) if found else ""


def render_mutants_html(data: dict[str, Any]) -> str:
    from reports.html import _environment

    env = _environment()
    return env.get_template(TEMPLATE).render(d=data, stylesheet=shared_stylesheet(), badge=STATUS_BADGE)


def write_mutants_html(data: dict[str, Any], path: Path) -> Path:
    Path(path).write_text(render_mutants_html(data), encoding="utf-8")
    return Path(path)


def write_mutant_outputs(data: dict[str, Any], directory: Path) -> dict[str, Path]:
    """mutants.json (validated first), mutants-junit.xml and mutants.html into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {"json": write_mutants_json(data, directory),
            "junit": write_mutants_junit(data, directory / JUNIT_FILE),
            "html": write_mutants_html(data, directory / HTML_FILE)}
