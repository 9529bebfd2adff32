"""A channel bound to no subscription can send and relay: the license check only blocks expired and canceled."""

from __future__ import annotations

REQUIREMENTS = ("SUB-NONE-SHAPE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.repos.accounts import Account

    replace_component(Account, "is_active", property(lambda self: self.sub_status not in ("expired", "canceled")))
