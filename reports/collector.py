"""pytest plugin that records a conformance run and writes its results (``-p reports.collector``).

Options: ``--fiwano-results DIR`` (where results.json, report.html and repro/ go; nothing is recorded
without it) and ``--fiwano-known-failures FILE`` (YAML baseline, see :mod:`reports.model`).

Why it collects in ``pytest_runtest_logreport`` on the controller: under pytest-xdist that is the only
process that sees every test, and it sees them as serialized reports, so everything used here
(``nodeid``, ``outcome``, ``when``, ``duration``, ``user_properties``, ``sections``, ``longrepr``,
``wasxfail``) survives the trip from the workers. The suites plugin (suites/plugin.py) puts the
requirement ids and level into ``user_properties`` and the evidence into ``sections``; this plugin adds
the channel of a ``channel_type`` parametrization to ``user_properties`` on whichever process collects.
"""

from __future__ import annotations

import datetime as _dt
import sys
import time

from reports.progress import Progress
from pathlib import Path
from typing import Any

import pytest
import yaml

from fiwano_conformance.shared.results import ERROR, FAIL, NOT_CLAIMED, NOT_CLAIMED_PREFIX, PASS, SKIP, XFAIL
from reports.model import KnownFailure, RunResults, TestResult, parse_known_failures
from fiwano_conformance.shared.redact import redact, redact_mapping

from fiwano_conformance.shared.results import CHANNEL_PROPERTY, LEVEL_PROPERTY, READING_PROPERTY, REQ_PROPERTY, TEST_ID_PROPERTY
from fiwano_conformance.shared.results import REAL_TIME_PROPERTY
from fiwano_conformance.shared.results import EVIDENCE_SECTION_PREFIX as EVIDENCE_PREFIX
from fiwano_conformance.shared.results import MISSING_PREREQUISITE_PREFIX as MISSING_PREREQUISITE


def _text(value: object) -> str | None:
    """A user property as text (pytest keeps whatever object a test appended)."""
    return None if value is None else str(value)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fiwano-reports", "Fiwano conformance reports (see docs/reports.md)")
    group.addoption("--fiwano-partial", dest="fiwano_partial", action="append", default=[], metavar="REASON",
                    help="the run judges only part of the suites for REASON (e.g. '--req SEND-'): verdict partial")
    group.addoption("--fiwano-progress", dest="fiwano_progress", choices=["auto", "line", "off"], default="off",
                    help="a live progress line (done/total, failures, ETA) instead of pytest's dots: 'line' on a "
                         "terminal rewrites one line, in a log prints one every 10 s; 'auto' picks; default off")
    group.addoption("--fiwano-results", dest="fiwano_results", metavar="DIR",
                    help="write results.json, report.html and reproduction bundles into DIR")
    group.addoption("--fiwano-known-failures", dest="fiwano_known_failures", metavar="FILE",
                    help="YAML file of known failures (reported as xfail; an entry that passes is a failure)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("fiwano_results", None) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Collector(config), "fiwano-results-collector")


def stable_test_id(item: pytest.Item) -> str:
    """A node id that does not depend on the directory pytest ran from.

    pytest makes node ids relative to its rootdir, so the installed suites show up as ``test_auth.py::...``
    from one directory and ``../site-packages/suites/test_auth.py::...`` from another. Known-failures
    entries, diffs between runs and replay commands need one id per test: for the suites package it is
    ``suites/<module>.py::<test>``; any other test keeps its node id.
    """
    module = getattr(getattr(item, "module", None), "__name__", "") or ""
    if module.startswith("suites.") and "::" in item.nodeid:
        return module.replace(".", "/") + ".py::" + item.nodeid.split("::", 1)[1]
    return item.nodeid


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Record the stable id and the channel of each test (the controller only sees serialized reports)."""
    for item in items:
        props = dict(item.user_properties)
        if TEST_ID_PROPERTY not in props:
            item.user_properties.append((TEST_ID_PROPERTY, stable_test_id(item)))
        callspec = getattr(item, "callspec", None)
        channel = callspec.params.get("channel_type") if callspec is not None else None
        if isinstance(channel, str) and CHANNEL_PROPERTY not in props:
            item.user_properties.append((CHANNEL_PROPERTY, channel))


# ------------------------------------------------------------------------------- report -> status


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr or "")
    return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason


def _crash_message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) if crash is not None else None
    if not message:
        text = str(report.longrepr or "").strip()
        message = text.splitlines()[-1] if text else ""
    return message.splitlines()[0] if message else ""


KIT_ERROR_PROPERTY = "fiwano_kit_error"  # set by suites/plugin.py when SimulatorError/HarnessError/... broke a test


def phase_status(report: Any) -> tuple[str, str] | None:
    """(status, message) that one phase report decides, or None when it decides nothing (a passing phase)."""
    wasxfail = getattr(report, "wasxfail", None)
    if report.skipped:
        if wasxfail is not None:
            return XFAIL, f"xfail: {wasxfail}" if wasxfail else "xfail"
        reason = _skip_reason(report)
        return (NOT_CLAIMED if reason.startswith(NOT_CLAIMED_PREFIX) else SKIP), reason
    if report.failed:
        message = _crash_message(report)
        if any(name == KIT_ERROR_PROPERTY for name, _ in (report.user_properties or [])):
            return ERROR, message  # the kit's own helper broke (simulator, harness, launcher), not the target
        if report.when == "call":
            return FAIL, message
        # setup/teardown: the harness broke - unless a claimed level's prerequisite is missing (gaps stay red)
        return (FAIL if MISSING_PREREQUISITE in str(report.longrepr) else ERROR), message
    if report.when == "call" and wasxfail is not None:
        return FAIL, f"XPASS: expected to fail ({wasxfail}) but passed"
    return None


def evidence_of(sections: list[tuple[str, str]], secrets: list[str]) -> dict[str, str]:
    """side -> text from the ``fiwano evidence: <side> ...`` report sections (redacted again)."""
    evidence: dict[str, str] = {}
    for title, text in sections:
        if not title.startswith(EVIDENCE_PREFIX):
            continue
        side = (title[len(EVIDENCE_PREFIX):].strip().split() or ["notes"])[0]
        evidence[side] = (evidence.get(side, "") + "\n" + redact(text, secrets)).strip("\n")
    return evidence


def suite_configuration(config: pytest.Config) -> dict[str, Any] | None:
    """The effective suite settings and claimed level from the suites plugin, when it is loaded.

    Looked up through the plugin manager (duck-typed, no import: reports may import the contract only).
    Under xdist this runs on the controller, which resolves the claim the same way the workers did.
    """
    plugin = config.pluginmanager.get_plugin("fiwano")
    run_of = getattr(plugin, "fiwano_run", None)
    if run_of is None:
        return None
    try:
        run = run_of(config)
        data = dict(run.config.redacted())
        data["sources"] = {name: redact(str(source)) for name, source in (data.get("sources") or {}).items()}
        data["claimed_level"] = run.claimed_level()
        data["claimed_level_reason"] = run.level_reason
        return data
    except Exception:  # noqa: BLE001 - a broken configuration has already been reported by the suites; keep the raw one
        return None


TERMINAL_STATUS = {  # kit status -> pytest's (category, letter, word) for its terminal and its counts
    PASS: ("passed", ".", "PASSED"), FAIL: ("failed", "F", "FAILED"), ERROR: ("error", "E", "ERROR"),
    XFAIL: ("xfailed", "x", "XFAIL"), SKIP: ("skipped", "s", "SKIPPED"),
    NOT_CLAIMED: ("not-claimed", "n", "NOT-CLAIMED"),
}


def is_subtest(report: Any) -> bool:
    """A report of a subtest (pytest's ``subtests`` fixture, which the contract fuzzer uses per operation)."""
    return type(report).__name__ == "SubtestReport" or getattr(report, "context", None) is not None


def subtest_label(report: Any) -> str:
    context = getattr(report, "context", None)
    kwargs = getattr(context, "kwargs", None) or {}
    return str(getattr(context, "msg", None) or kwargs.get("label") or "").strip("'\"")


def test_key(report: Any) -> str:
    """The test a report belongs to: its stable id (subtests carry their test's), else its node id."""
    props = dict(getattr(report, "user_properties", None) or [])
    return str(props.get(TEST_ID_PROPERTY) or report.nodeid)


class Collector:
    """Accumulates the phase reports of each test; writes the results at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        from reports.provenance import configuration_secrets, raw_configuration

        self.config = config
        self.directory = Path(config.getoption("fiwano_results")).resolve()
        self.settings = raw_configuration(vars(config.option))
        self.secrets = configuration_secrets(vars(config.option))
        self.known = self._load_known(config.getoption("fiwano_known_failures", None))
        self.tests: dict[str, TestResult] = {}
        self.subtests: dict[str, int] = {}
        self.started = time.time()
        self.collected: int | None = None
        self.progress = Progress(config)

    # -- how many tests there are (the controller's view, with or without xdist)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and self.config.pluginmanager.get_plugin("dsession") is None:
            self.collected = len(session.items)
            self.progress.start(self.collected)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.collected is None:
            self.collected = len(ids)
            self.progress.start(self.collected)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: Any, config: pytest.Config) -> Any:
        """pytest's own terminal counts in the kit's terms: one entry per test (subtests folded into it), a
        failed prerequisite a failure, a broken kit helper an error, a not-claimed test ``not-claimed``."""
        if report.when == "call" or report.failed or report.skipped:
            prior = self.tests.get(test_key(report))
            decided = phase_status(report)
            if is_subtest(report):
                return "", "", ""  # counted with its test
            if decided is None:
                status = prior.status if prior is not None and prior.status in (FAIL, ERROR) else PASS
            else:
                status = decided[0]
                if prior is not None and prior.status in (FAIL, ERROR) and report.when == "teardown":
                    return "", "", ""  # a teardown error after a failure: the failure is the story
            category, letter, word = TERMINAL_STATUS[status]
            return category, ("" if self.progress.enabled else letter), word
        return None

    def selection(self, session: pytest.Session) -> dict[str, Any]:
        """Why this run judged only part of the suites (empty reasons: all of it)."""
        option = self.config.option
        reasons = list(self.config.getoption("fiwano_partial", None) or [])
        if getattr(option, "keyword", ""):
            reasons.append(f"-k {option.keyword}")
        if getattr(option, "markexpr", ""):
            reasons.append(f"-m {option.markexpr}")
        if getattr(option, "lf", False):
            reasons.append("--last-failed")
        ran = len(self.tests)
        if session.shouldfail or session.shouldstop:
            reasons.append(f"stopped early: {session.shouldfail or session.shouldstop}")
        elif self.collected is not None and ran < self.collected:
            reasons.append(f"{self.collected - ran} of {self.collected} collected tests did not run")
        return {"reasons": reasons, "collected": self.collected, "ran": ran}

    @staticmethod
    def _load_known(path: str | None) -> list[KnownFailure]:
        if not path:
            return []
        try:
            return parse_known_failures(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise pytest.UsageError(f"--fiwano-known-failures {path}: {exc}") from None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties or [])
        key = test_key(report)
        if is_subtest(report):
            self.subtests[key] = self.subtests.get(key, 0) + 1
            self.progress.subtest(subtest_label(report), key)
        elif report.when == "teardown":
            self.progress.test_done(key)
        test = self.tests.get(key)
        if test is None:
            test = self.tests[key] = TestResult(
                nodeid=str(props.get(TEST_ID_PROPERTY) or report.nodeid), status=PASS, requirements=str(props.get(REQ_PROPERTY, "")).split(),
                level=_text(props.get(LEVEL_PROPERTY)), channel=_text(props.get(CHANNEL_PROPERTY)))
        test.duration = round(test.duration + (report.duration or 0.0), 4)
        for name, value in report.user_properties or []:
            if name == READING_PROPERTY and str(value) not in test.readings:
                test.readings.append(str(value))
            if name == REAL_TIME_PROPERTY:
                test.real_time_seconds = float(str(value))
        decided = phase_status(report)
        if decided is None:
            return
        status, message = decided
        failed_already = test.status in (FAIL, ERROR)
        if is_subtest(report):
            # a subtest (one operation of the contract fuzzer) decides for its test, which stays one test
            if status not in (FAIL, ERROR):
                return
            label = subtest_label(report)
            message = f"{label}: {message}" if label else message
            if failed_already:  # another failed subtest: its text joins the first one's
                test.longrepr += "\n\n" + redact(f"{label}: {report.longrepr}", self.secrets)
                return
        elif failed_already:
            return  # a teardown error after a failure, or "contains N failed subtests": the failure is the story
        if status in (FAIL, ERROR):
            self.progress.failure()
        test.status, test.when, test.message = status, report.when, redact(message, self.secrets)
        if report.failed:
            test.longrepr = redact(str(report.longrepr), self.secrets)
            test.evidence.update(evidence_of(list(report.sections), self.secrets))

    @pytest.hookimpl(trylast=True)  # after junitxml has written junit.xml
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from contract import load_requirements
        from reports import provenance
        from reports.outputs import write_outputs

        configuration = provenance.redacted_configuration(self.settings)
        effective = suite_configuration(self.config) if self.tests else None
        if effective is not None:
            sources = effective.pop("sources", {})
            configuration = {**redact_mapping(effective, self.secrets), "sources": sources, "given": configuration}
        results = RunResults.build(
            sorted(self.tests.values(), key=lambda t: t.nodeid), load_requirements(), self.known,
            configuration=configuration,
            versions=provenance.versions((effective or {}).get("profile") or self.settings.get("profile")),
            seeds=provenance.seeds(self.settings, self.config.getoption("hypothesis_seed", None)),
            started_at=_dt.datetime.fromtimestamp(self.started, _dt.timezone.utc).isoformat(timespec="seconds"),
            duration=round(time.time() - self.started, 3),
            rootdir=str(self.config.rootpath),
            selection=self.selection(session),
            command=[redact(arg, self.secrets) for arg in [Path(sys.argv[0]).name, *sys.argv[1:]]],
        )
        junit = getattr(self.config.option, "xmlpath", None)
        written = write_outputs(results, self.directory, junit=Path(junit) if junit else None,
                                secrets=self.secrets)
        self.progress.finish()
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("-", f"fiwano results: {results.verdict} ({written['results']})")
