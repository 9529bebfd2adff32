"""Profile fiwano-2026-10: deleted (inactive) channels still hold a slot, so GET /subscriptions under-counts the
free slots."""

from __future__ import annotations

REQUIREMENTS = ("SUB-LIST",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    def every_channel(comps, account_id, channel_type):
        return [c.id for c in comps.channels.list_for_account(account_id) if c.channel_type == channel_type]

    replace_component(reference.v2026, "occupied_by", every_channel)
