"""Profile fiwano-2026-10: setup-url hands out a setup URL although every slot of the channel type is taken."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-SETUP-409-NO-FREE-SLOT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "no_free_slot", lambda comps, account_id, channel_type: None)
