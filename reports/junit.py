"""Enrichment of pytest's junit.xml: the kit's statuses and provenance, for JUnit consumers.

pytest writes a valid xunit2 file but only knows passed/failed/skipped/error. CI dashboards that read
JUnit should still see *why* a test was skipped (not-claimed vs a plain skip) and which requirement a
failure breaks, so each ``testcase`` gets ``fiwano_status`` (and keeps the ``fiwano_req``/``fiwano_level``
properties the suites plugin recorded), and the first ``testsuite`` gets the verdict and versions.
Every text and attribute is redacted on the way (captured output may hold anything).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

from fiwano_conformance.shared.results import (CHANNEL_PROPERTY, ERROR, FAIL, KNOWN_FAILURE_PROPERTY, LEVEL_PROPERTY,
                                                NOT_CLAIMED, REQ_PROPERTY, SKIP, STATUS_PROPERTY, TEST_ID_PROPERTY, XFAIL)
from reports.model import RunResults, TestResult
from fiwano_conformance.shared.redact import redact


def _nodeid(case: ET.Element) -> tuple[str, str]:
    """(classname-derived path, name) of a testcase, to match against node ids."""
    return case.get("classname", ""), case.get("name", "")


def _matches(nodeid: str, classname: str, name: str) -> bool:
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::")
    if parts[-1] != name:
        return False
    expected = ".".join([path[:-3].replace("/", ".") if path.endswith(".py") else path, *parts[:-1]])
    return expected == classname or expected.endswith("." + classname) or classname.endswith(expected)


def _set_property(case: ET.Element, name: str, value: str) -> None:
    props = case.find("properties")
    if props is None:
        props = ET.Element("properties")
        case.insert(0, props)
    for prop in props.findall("property"):
        if prop.get("name") == name:
            prop.set("value", value)
            return
    ET.SubElement(props, "property", name=name, value=value)


def enrich_junit(path: Path, results: RunResults, secrets: Iterable[str] = ()) -> None:
    secrets = list(secrets)
    tree = ET.parse(path)
    root = tree.getroot()
    for element in root.iter():
        if element.text:
            element.text = redact(element.text, secrets)
        for key, value in list(element.attrib.items()):
            element.set(key, redact(value, secrets))
    by_name: dict[str, list[TestResult]] = {}
    for test in results.tests:
        by_name.setdefault(test.nodeid.split("::")[-1], []).append(test)
    for case in root.iter("testcase"):
        classname, name = _nodeid(case)
        found = next((t for t in by_name.get(name, []) if _matches(t.nodeid, classname, name)), None)
        if found is None:
            continue
        _set_property(case, STATUS_PROPERTY, found.status)
        if found.requirements:
            _set_property(case, REQ_PROPERTY, " ".join(found.requirements))
        if found.known_failure:
            _set_property(case, KNOWN_FAILURE_PROPERTY, found.known_failure)
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is not None:
        for name, value in (("fiwano_verdict", results.verdict), ("fiwano_kit_version", str(results.versions.get("kit"))),
                            ("fiwano_seed", str(results.seeds.get("fiwano_seed")))):
            _set_property(suite, name, value)
    tree.write(path, encoding="utf-8", xml_declaration=True)


# ------------------------------------------------------------------------------- the kit's own junit.xml

# kit status -> the JUnit element that says it (None: a pass)
JUNIT_OUTCOME = {FAIL: "failure", ERROR: "error", NOT_CLAIMED: "skipped", SKIP: "skipped", XFAIL: "skipped"}


def _classname_and_name(nodeid: str) -> tuple[str, str, str]:
    """(file, classname, name) of a node id, as pytest's junitxml spells them (``suites.test_x.Class``)."""
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::") if rest else [path]
    module = path[:-3].replace("/", ".") if path.endswith(".py") else path
    return path, ".".join([module, *parts[:-1]]), parts[-1]


def junit_tree(results: RunResults, secrets: Iterable[str] = ()) -> ET.ElementTree:
    """One ``testcase`` per test of ``results`` with the kit's status: the same counts as results.json and
    report.html (pytest's own file has one case per subtest and calls a failed prerequisite an error)."""
    secrets = list(secrets)
    counts = results.counts
    root = ET.Element("testsuites", name="fiwano-conformance")
    suite = ET.SubElement(root, "testsuite", name="fiwano-conformance", tests=str(len(results.tests)),
                          failures=str(counts.get("fail", 0)), errors=str(counts.get("error", 0)),
                          skipped=str(sum(counts.get(s, 0) for s in (NOT_CLAIMED, SKIP, XFAIL))),
                          time=f"{results.duration:.3f}", timestamp=results.started_at or "")
    props = ET.SubElement(suite, "properties")
    for name, value in (("fiwano_verdict", results.verdict), ("fiwano_kit_version", str(results.versions.get("kit"))),
                        ("fiwano_seed", str(results.seeds.get("fiwano_seed"))),
                        ("fiwano_selection", "; ".join((results.selection or {}).get("reasons", [])) or "all")):
        ET.SubElement(props, "property", name=name, value=value)
    for test in results.tests:
        path, classname, name = _classname_and_name(test.nodeid)
        case = ET.SubElement(suite, "testcase", classname=classname, name=name, file=path,
                             time=f"{test.duration:.3f}")
        case_props = ET.SubElement(case, "properties")
        for prop, shown in ((TEST_ID_PROPERTY, test.nodeid), (STATUS_PROPERTY, test.status),
                            (REQ_PROPERTY, " ".join(test.requirements)), (LEVEL_PROPERTY, test.level),
                            (CHANNEL_PROPERTY, test.channel), (KNOWN_FAILURE_PROPERTY, test.known_failure)):
            if shown:
                ET.SubElement(case_props, "property", name=prop, value=redact(str(shown), secrets))
        outcome = JUNIT_OUTCOME.get(test.status)
        if outcome is None:
            continue
        element = ET.SubElement(case, outcome, message=redact(test.message or test.status, secrets))
        if outcome != "skipped":
            element.set("type", f"fiwano.{test.status}")
            text = test.longrepr or test.message
            for side, evidence in sorted(test.evidence.items()):
                text += f"\n\n--- evidence: {side} ---\n{evidence}"
            element.text = redact(text, secrets)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(results: RunResults, path: Path, secrets: Iterable[str] = ()) -> Path:
    junit_tree(results, secrets).write(path, encoding="utf-8", xml_declaration=True)
    return path
