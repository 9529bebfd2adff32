"""Every MUST requirement is the target of a mutant, or declared untargeted with a reason (never both).

See fiwano_conformance/selftest/coverage.py; ``fiwano-conformance selftest mutants --coverage`` prints the same table.
"""

from __future__ import annotations

from fiwano_conformance.selftest.coverage import must_coverage


def test_every_must_requirement_is_targeted_or_declared_untargeted():
    coverage = must_coverage()
    assert not coverage.problems, "tests/mutants/untargeted/*.yaml:\n  " + "\n  ".join(coverage.problems)
    assert not coverage.missing, (
        f"{len(coverage.missing)} MUST requirement(s) are neither named by a mutant's REQUIREMENTS nor listed "
        f"with a reason in tests/mutants/untargeted/*.yaml: {', '.join(coverage.missing)}")
