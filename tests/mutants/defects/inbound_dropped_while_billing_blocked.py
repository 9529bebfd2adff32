"""Inbound events that arrive while relay is blocked by billing are dropped instead of held for reactivation."""

from __future__ import annotations

REQUIREMENTS = ("BILLING-INBOUND-KEPT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class DropWhileBlocked(RelayService):
        def emit(self, channel, event, data, **kwargs):
            account = self.accounts.get(channel.account_id)
            if account is None or not self.accounts.effective(account).is_active:
                return None
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", DropWhileBlocked)
