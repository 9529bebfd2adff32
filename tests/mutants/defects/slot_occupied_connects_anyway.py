"""Profile fiwano-2026-10: a flow that connects another Meta account while every slot is taken ends with a code
(the channel is created beyond the plan) instead of error=slot_occupied."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-REDIRECT-OUTCOMES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "slot_occupied", lambda comps, account_id, channel_type, asset_id: False)
