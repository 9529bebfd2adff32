"""Profile fiwano-2026-10: channels carry no health object (the v1 representation)."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-HEALTH-FIELD",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    original = reference.v2026.apply

    def without_health(components):
        original(components)
        components.channel_service.health_of = None

    replace_component(reference.v2026, "apply", without_health)
