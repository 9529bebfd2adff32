"""Profile fiwano-2026-10: the first message of a conversation started from an ad or link carries no data.referral."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-REFERRAL-FIRST-MESSAGE",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def broken(components):
        original(components)
        components.inbound.referral_view = None

    replace_component(reference.v2026, "apply", broken)
