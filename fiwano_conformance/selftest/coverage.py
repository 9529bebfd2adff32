"""MUST requirements against the mutant catalogue: targeted, declared untargeted, or missing.

Every requirement with strength MUST in ``contract/requirements.yaml`` must be either

* **targeted**: named in the ``REQUIREMENTS`` of at least one mutant (``tests/mutants/defects/*.py``), or
* **untargeted**: listed in one ``tests/mutants/untargeted/*.yaml`` file with a non-empty reason why no
  mutant can target it (a mapping ``REQUIREMENT-ID: reason``),

never both, and every id listed as untargeted must exist. ``fiwano-conformance selftest mutants --coverage``
prints this; ``tests/mutants/test_mutant_coverage.py`` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contract import load_pending, load_requirements
from fiwano_conformance.selftest.catalogue import Mutant, all_mutants

UNTARGETED_DIR = Path(__file__).resolve().parents[2] / "tests" / "mutants" / "untargeted"  # (data of a checkout)


@dataclass
class MustCoverage:
    must: list[str]
    targeted: dict[str, list[str]]  # MUST id -> mutants naming it
    untargeted: dict[str, str]  # MUST id -> reason (only well-formed entries)
    missing: list[str]  # MUST ids neither targeted nor untargeted
    problems: list[str] = field(default_factory=list)  # both, unknown ids, empty reasons, duplicates, bad files
    # MUST ids without a suite test yet (contract/pending.yaml): no mutant can be killed before the test exists,
    # so they are listed as pending, not missing; the pending list only shrinks (docs/requirements.md)
    pending: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"must": len(self.must), "targeted": self.targeted, "untargeted": self.untargeted,
                "missing": self.missing, "pending": self.pending, "problems": self.problems}


def load_untargeted(directory: Path = UNTARGETED_DIR) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """``{id: (reason, file name)}`` from every untargeted/*.yaml, and the problems found while reading."""
    entries: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(f"{path.name}: not valid YAML ({exc})")
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{path.name}: must be a mapping REQUIREMENT-ID: reason")
            continue
        for rid, reason in data.items():
            if isinstance(reason, dict):  # tolerate {reason: "..."}
                reason = reason.get("reason")
            rid = str(rid)
            if not isinstance(reason, str) or not reason.strip():
                problems.append(f"{path.name}: {rid} has no reason (say why no mutant can target it)")
                continue
            if rid in entries:
                problems.append(f"{path.name}: {rid} is already declared untargeted in {entries[rid][1]}")
                continue
            entries[rid] = (reason.strip(), path.name)
    return entries, problems


def must_coverage(mutants: list[Mutant] | None = None, untargeted_dir: Path = UNTARGETED_DIR) -> MustCoverage:
    requirements = load_requirements()
    must = sorted(rid for rid, entry in requirements.items() if entry.get("strength") == "MUST")
    named: dict[str, list[str]] = {}
    for mutant in mutants if mutants is not None else all_mutants():
        for rid in mutant.requirements:
            named.setdefault(rid, []).append(mutant.name)
    untargeted, problems = load_untargeted(untargeted_dir)
    for rid, (_, source) in sorted(untargeted.items()):
        if rid not in requirements:
            problems.append(f"{source}: {rid} is not a requirement id of contract/requirements.yaml")
        if rid in named:
            problems.append(f"{source}: {rid} is declared untargeted but mutants target it "
                            f"({', '.join(named[rid])}): remove it from {source}")
    targeted = {rid: named[rid] for rid in must if rid in named}
    declared = {rid: untargeted[rid][0] for rid in must if rid in untargeted and rid not in named}
    pending_ids = set(load_pending())
    pending = [rid for rid in must if rid in pending_ids and rid not in named and rid not in untargeted]
    missing = [rid for rid in must if rid not in named and rid not in untargeted and rid not in pending_ids]
    return MustCoverage(must=must, targeted=targeted, untargeted=declared, missing=missing, problems=problems,
                        pending=pending)
