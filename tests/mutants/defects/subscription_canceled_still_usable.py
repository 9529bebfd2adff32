"""A canceled subscription still sends and relays: the license check only blocks expired and none."""

from __future__ import annotations

REQUIREMENTS = ("TIER-LICENSE-REQUIRED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.repos.accounts import Account

    replace_component(Account, "is_active", property(lambda self: self.sub_status in ("active", "canceled")))
