"""The results data model of a conformance run and its status taxonomy (DESIGN.md §5).

Everything a report shows is derived from one :class:`RunResults`, the content of ``results.json``; the
HTML page, the diff and the reproduction bundles never look at pytest objects. That keeps the renderers
pure (testable without a run) and lets ``fiwano-conformance report render`` rebuild a page from an old
results directory.

Statuses (a test's and, rolled up, a requirement's):

* ``pass``;
* ``fail``: the target broke a requirement (assertion in the test body);
* ``error``: the harness broke (setup/teardown raised, a usage problem), not the target;
* ``not-claimed``: the run does not claim the level or channel (skip reason ``not-claimed:``) - shown,
  never counted;
* ``xfail``: a known failure (pytest ``xfail`` or an entry of the known-failures file);
* ``skip``: any other skip (deselected by a condition of the test itself); shown with its reason.

A known-failures entry that no longer fails is itself a failure (OpenID/MCP conformance practice): a
baseline must never rot silently. :func:`apply_known_failures` is a pure function so that the suites
plugin can apply the same rule at run time later.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from fiwano_conformance.shared.results import (ERROR, FAIL, MISSING_PREREQUISITE_PREFIX, NOT_CLAIMED, PASS, SKIP, STATUSES,
                                                XFAIL)

SCHEMA_VERSION = 1


# Roll-up order: the most severe status of a requirement's tests wins.
SEVERITY = {FAIL: 5, ERROR: 4, XFAIL: 3, PASS: 2, SKIP: 1, NOT_CLAIMED: 0}

CHANNELS = ("whatsapp", "instagram", "facebook")
LEVELS = ("api", "simulated", "controlled")
EVIDENCE_SIDES = ("north", "south", "east", "notes")

CONFORMANT, NOT_CONFORMANT, RUN_ERROR, PARTIAL = "conformant", "not-conformant", "error", "partial"
VERDICTS = (CONFORMANT, NOT_CONFORMANT, RUN_ERROR, PARTIAL)

# a configuration problem: this many tests (or this share of them) broken by one and the same cause
PROBLEM_MIN_TESTS, PROBLEM_MIN_SHARE = 5, 0.2


def worst(statuses: Iterable[str]) -> str | None:
    """The most severe status of ``statuses`` (None when empty)."""
    statuses = list(statuses)
    return max(statuses, key=SEVERITY.__getitem__) if statuses else None


@dataclass
class TestResult:
    """One test (one parametrization) of the run."""

    __test__ = False  # not a pytest test class, whatever its name

    nodeid: str
    status: str
    requirements: list[str] = field(default_factory=list)
    level: str | None = None
    channel: str | None = None
    duration: float = 0.0
    when: str = "call"  # the phase that decided the status
    message: str = ""  # one line: skip reason, assertion summary, error
    longrepr: str = ""  # the full failure text (redacted)
    evidence: dict[str, str] = field(default_factory=dict)  # side -> text (redacted)
    known_failure: str | None = None  # the reason given by the known-failures entry that matched
    readings: list[str] = field(default_factory=list)  # "REQ-ID=reading" the target showed (suites/readings.py)
    real_time_seconds: float | None = None  # waited in real time (--fiwano-real-time), None: on no clock or a virtual one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TestResult":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class KnownFailure:
    """An entry of the known-failures file: tests matching ``test`` may fail.

    ``test`` is a node id where ``*`` matches anything; nothing else is special, because node ids are full
    of brackets (``test_x[instagram]``) that fnmatch would read as character classes.
    """

    test: str
    reason: str

    def matches(self, nodeid: str) -> bool:
        pattern = ".*".join(re.escape(part) for part in self.test.split("*"))
        return re.fullmatch(pattern, nodeid) is not None


def parse_known_failures(document: Any) -> list[KnownFailure]:
    """Entries of a known-failures document: ``{"known_failures": [{"test": ..., "reason": ...}]}``.

    A reason is mandatory: a baseline without reasons cannot be reviewed.
    """
    entries = (document or {}).get("known_failures") if isinstance(document, dict) else None
    if entries is None:
        raise ValueError("a known-failures file must be a mapping with a 'known_failures' list")
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("test") or not entry.get("reason"):
            raise ValueError(f"known_failures[{index}]: each entry needs 'test' (node id or glob) and 'reason'")
        out.append(KnownFailure(str(entry["test"]), str(entry["reason"])))
    return out


def apply_known_failures(tests: list[TestResult], known: list[KnownFailure]) -> tuple[list[TestResult], list[str]]:
    """Return the tests with baselined failures turned into ``xfail``, and the stale entries.

    * a ``fail`` matched by an entry becomes ``xfail`` (it keeps its evidence and records the reason);
    * a matched test that no longer fails (``pass``) becomes ``fail``: the entry is stale and must go;
    * an entry that matches no test of the run is returned (listed as stale in the report; it decides
      nothing, since the run may simply not have selected its test).

    Errors are never baselined: the harness breaking is not a known property of the target.
    Pure: the inputs are not modified.
    """
    used: set[KnownFailure] = set()
    out: list[TestResult] = []
    for test in tests:
        entry = next((k for k in known if k.matches(test.nodeid)), None)
        if entry is None or test.status not in (FAIL, PASS):
            out.append(test)
            continue
        used.add(entry)
        copy = TestResult.from_json(test.to_json())
        copy.known_failure = entry.reason
        if test.status == FAIL:
            copy.status = XFAIL
        else:
            copy.status = FAIL
            copy.message = (f"listed in the known-failures file ({entry.test!r}: {entry.reason}) but passed: "
                            "remove the entry")
        out.append(copy)
    unused = [f"{k.test} ({k.reason})" for k in known if k not in used]
    return out, unused


@dataclass
class RequirementResult:
    """A requirement of the catalogue as this run saw it: its tests rolled up, overall and per channel."""

    id: str
    status: str
    text: str = ""
    section: str = ""
    strength: str = "MUST"
    level: str = "api"
    channels: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    by_channel: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0  # of its tests, in seconds (a test naming several requirements counts for each)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def rollup(tests: list[TestResult], catalogue: dict[str, dict[str, Any]]) -> list[RequirementResult]:
    """Requirements named by the run's tests, in catalogue order, with overall and per-channel status.

    A test parametrized with a channel decides that channel's cell; a test without a channel is
    channel-neutral and decides every channel its requirement covers.
    """
    by_req: dict[str, list[TestResult]] = {}
    for test in tests:
        for rid in test.requirements:
            by_req.setdefault(rid, []).append(test)
    order = {rid: index for index, rid in enumerate(catalogue)}
    out = []
    for rid in sorted(by_req, key=lambda r: (order.get(r, len(order)), r)):
        entry = catalogue.get(rid, {})
        channels = list(entry.get("channels") or CHANNELS)
        mine = by_req[rid]
        by_channel = {}
        for channel in channels:
            status = worst(t.status for t in mine if t.channel in (channel, None))
            if status is not None:
                by_channel[channel] = status
        out.append(RequirementResult(
            id=rid, status=worst(t.status for t in mine) or NOT_CLAIMED, text=entry.get("text", ""),
            section=entry.get("section", ""), strength=entry.get("strength", "MUST"),
            level=entry.get("level", "api"), channels=channels, tests=[t.nodeid for t in mine],
            by_channel=by_channel, duration=round(sum(t.duration for t in mine), 4)))
    return out


def readings_shown(tests: list[TestResult]) -> dict[str, dict[str, int]]:
    """Per entry of the ambiguity register: which readings the target showed, in how many tests."""
    shown: dict[str, dict[str, int]] = {}
    for test in tests:
        for value in dict.fromkeys(test.readings):
            rid, _, reading = value.partition("=")
            if rid and reading:
                per = shown.setdefault(rid, {})
                per[reading] = per.get(reading, 0) + 1
    return {rid: dict(sorted(per.items())) for rid, per in sorted(shown.items())}


def counts(statuses: Iterable[str]) -> dict[str, int]:
    out = {status: 0 for status in STATUSES}
    for status in statuses:
        out[status] += 1
    return out


def level_scores(requirements: list[RequirementResult]) -> list[dict[str, Any]]:
    """Per level: how many of the requirements the run judged there pass (not-claimed ones do not count)."""
    scores = []
    for level in LEVELS:
        mine = [r for r in requirements if r.level == level]
        judged = [r for r in mine if r.status in (PASS, FAIL, ERROR, XFAIL)]
        passed = sum(r.status == PASS for r in judged)
        scores.append({
            "level": level, "requirements": len(mine), "judged": len(judged), "passed": passed,
            "not_claimed": sum(r.status == NOT_CLAIMED for r in mine),
            "score": round(100.0 * passed / len(judged), 1) if judged else None,
        })
    return scores


def verdict(tests: list[TestResult], requirements: list[RequirementResult]) -> str:
    """``error`` when the harness broke or nothing was judged; ``not-conformant`` on a failure of a MUST.

    A failure whose requirements are all SHOULD is reported but does not decide the verdict
    (docs/requirements.md). A known-failures entry whose test passed is already a ``fail`` here; an entry
    that matched no test (``unmatched``: renamed, or not selected with ``-k``) is listed, not decisive,
    because nothing was observed about it.
    """
    strength = {r.id: r.strength for r in requirements}
    if any(t.status == ERROR for t in tests):
        return RUN_ERROR
    must_failed = [t for t in tests if t.status == FAIL
                   and (not t.requirements or any(strength.get(rid, "MUST") == "MUST" for rid in t.requirements))]
    if must_failed:
        return NOT_CONFORMANT
    if not any(t.status in (PASS, XFAIL) for t in tests):
        return RUN_ERROR
    return CONFORMANT


def selection_verdict(judged: str, selection: dict[str, Any]) -> str:
    """A run that judged only part of the suites (``selection["reasons"]`` not empty) is never conformant.

    What it did observe still counts: a failure is ``not-conformant`` and a broken harness ``error``, but
    "nothing failed among the tests I ran" is ``partial``.
    """
    return PARTIAL if judged == CONFORMANT and selection.get("reasons") else judged


def configuration_problem(tests: list[TestResult]) -> dict[str, Any] | None:
    """One cause that broke many tests (an unreachable simulator, a harness that does not answer, a missing
    prerequisite of the claimed level): the report shows it as a configuration problem, not a wall of red.

    Returns ``{"message", "tests", "of"}`` for the most frequent first line among error tests and tests that
    failed for a missing prerequisite, when it covers at least PROBLEM_MIN_TESTS tests or PROBLEM_MIN_SHARE
    of the run; None otherwise.
    """
    broken: dict[str, int] = {}
    for test in tests:
        if test.status == ERROR or (test.status == FAIL and MISSING_PREREQUISITE_PREFIX in test.message):
            key = (test.message or "").strip()
            key = re.sub(r"0x[0-9a-f]+", "0x...", key)  # object addresses differ from test to test
            broken[key] = broken.get(key, 0) + 1
    if not broken:
        return None
    message, count = max(broken.items(), key=lambda item: item[1])
    if count < PROBLEM_MIN_TESTS and count < PROBLEM_MIN_SHARE * len(tests):
        return None
    return {"message": message, "tests": count, "of": len(tests)}


@dataclass
class RunResults:
    """The content of results.json."""

    tests: list[TestResult]
    requirements: list[RequirementResult]
    verdict: str
    counts: dict[str, int]
    scores: list[dict[str, Any]]
    stale_known_failures: list[str] = field(default_factory=list)
    configuration: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    duration: float = 0.0
    command: list[str] = field(default_factory=list)
    rootdir: str = ""
    # what limited the run: {"reasons": ["-k text_limit", ...], "collected": N, "ran": M}; no reasons = all of it
    selection: dict[str, Any] = field(default_factory=dict)
    problem: dict[str, Any] | None = None  # see configuration_problem
    schema_version: int = SCHEMA_VERSION
    # the ambiguity register as this run saw it: requirement id -> reading -> how many tests showed it
    readings: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, tests: list[TestResult], catalogue: dict[str, dict[str, Any]],
              known: list[KnownFailure] | None = None, **meta: Any) -> "RunResults":
        """Apply the known failures, roll up the requirements, score and judge."""
        tests, stale = apply_known_failures(tests, known or [])
        requirements = rollup(tests, catalogue)
        judged = selection_verdict(verdict(tests, requirements), meta.get("selection") or {})
        return cls(tests=tests, requirements=requirements, verdict=judged,
                   counts=counts(t.status for t in tests), scores=level_scores(requirements),
                   stale_known_failures=stale, problem=configuration_problem(tests),
                   readings=readings_shown(tests), **meta)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = [t.to_json() for t in self.tests]
        data["requirements"] = [r.to_json() for r in self.requirements]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RunResults":
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["tests"] = [TestResult.from_json(t) for t in data.get("tests", [])]
        fields["requirements"] = [RequirementResult(**r) for r in data.get("requirements", [])]
        return cls(**fields)

    # -- views used by the renderers
    def tests_with(self, *statuses: str) -> list[TestResult]:
        return [t for t in self.tests if t.status in statuses]
