"""Profile fiwano-2026-10: a returning user's click into the conversation without a message produces no conversation.referral."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-REFERRAL-EVENT",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def broken(components):
        original(components)
        components.inbound.referral_events = False

    replace_component(reference.v2026, "apply", broken)
