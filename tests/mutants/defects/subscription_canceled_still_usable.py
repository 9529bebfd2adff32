"""A canceled subscription still sends and relays: the license check only blocks expired and none."""

from __future__ import annotations

REQUIREMENTS = ("TIER-LICENSE-REQUIRED",)


def apply() -> None:
    from reference.repos.accounts import Account

    Account.is_active = property(lambda self: self.sub_status in ("active", "canceled"))
