"""Profile fiwano-2026-10: setup-url gives out a setup URL to an account without an active subscription (the v1
reference never answers 402 there)."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-402-NO-SUBSCRIPTION",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "setup_without_subscription", lambda comps, account: None)
