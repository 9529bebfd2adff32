"""Regressions and fixes between two runs (``fiwano-conformance report diff OLD NEW``).

Compared per test node id and per requirement. A *regression* is something that was good and is now
bad (pass or xfail -> fail or error) or a new test that fails; a *fix* is the reverse. Anything else that
changed (a test now not-claimed, added, removed) is listed but does not count: a diff is for CI gates
("did this change break a requirement?"), and it must not cry wolf when the claim changed on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fiwano_conformance.shared.results import ERROR, FAIL, PASS, XFAIL
from reports.model import RunResults

GOOD, BAD = {PASS, XFAIL}, {FAIL, ERROR}


@dataclass
class Change:
    id: str
    old: str | None
    new: str | None
    message: str = ""


@dataclass
class RunDiff:
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    requirement_regressions: list[Change] = field(default_factory=list)
    requirement_fixes: list[Change] = field(default_factory=list)
    old_verdict: str = ""
    new_verdict: str = ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _classify(old: str | None, new: str | None) -> str:
    if new in BAD and (old is None or old in GOOD):
        return "regression"
    if old in BAD and new in GOOD:
        return "fix"
    return "other" if old != new else "same"


def diff_runs(old: RunResults, new: RunResults) -> RunDiff:
    out = RunDiff(old_verdict=old.verdict, new_verdict=new.verdict)
    old_tests = {t.nodeid: t for t in old.tests}
    new_tests = {t.nodeid: t for t in new.tests}
    for nodeid in list(old_tests) + [n for n in new_tests if n not in old_tests]:
        before, after = old_tests.get(nodeid), new_tests.get(nodeid)
        change = Change(nodeid, before.status if before else None, after.status if after else None,
                        after.message if after else "")
        kind = _classify(change.old, change.new)
        if kind != "same":
            getattr(out, {"regression": "regressions", "fix": "fixes", "other": "other"}[kind]).append(change)
    old_reqs = {r.id: r.status for r in old.requirements}
    for requirement in new.requirements:
        kind = _classify(old_reqs.get(requirement.id), requirement.status)
        change = Change(requirement.id, old_reqs.get(requirement.id), requirement.status)
        if kind == "regression":
            out.requirement_regressions.append(change)
        elif kind == "fix":
            out.requirement_fixes.append(change)
    for name in ("kit", "contract", "profile"):
        if old.versions.get(name) != new.versions.get(name):
            out.notes.append(f"{name} differs between the runs: {old.versions.get(name)} -> {new.versions.get(name)}")
    if old.seeds != new.seeds:
        out.notes.append(f"seeds differ: {old.seeds} -> {new.seeds}")
    return out


def render_text(diff: RunDiff) -> str:
    lines = [f"verdict: {diff.old_verdict} -> {diff.new_verdict}",
             f"{len(diff.regressions)} regression(s), {len(diff.fixes)} fix(es), {len(diff.other)} other change(s)"]
    for title, changes in (("regressions", diff.regressions), ("fixes", diff.fixes),
                           ("requirements regressed", diff.requirement_regressions),
                           ("requirements fixed", diff.requirement_fixes), ("other changes", diff.other)):
        if changes:
            lines.append(f"\n{title}:")
            for change in changes:
                detail = f"  {change.message}" if change.message and title == "regressions" else ""
                lines.append(f"  {change.old or '(absent)':>11} -> {change.new or '(absent)':<11} {change.id}{detail}")
    for note in diff.notes:
        lines.append(f"\nnote: {note}")
    return "\n".join(lines)
