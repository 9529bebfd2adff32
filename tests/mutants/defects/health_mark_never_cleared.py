"""Profile fiwano-2026-10: the action_required mark stays after Meta accepts the channel's access again."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-HEALTH-CLEARS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.repos.health import HealthRepository

    replace_component(HealthRepository, "clear", lambda self, channel_id: None)
