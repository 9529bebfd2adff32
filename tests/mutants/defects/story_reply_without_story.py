"""Profile fiwano-2026-10: an Instagram reply to the business's story carries no reply_to.story."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-STORY-REPLY",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def broken(components):
        original(components)
        components.inbound.story_replies = False

    replace_component(reference.v2026, "apply", broken)
