"""subscription.status of a canceled subscription is spelled "cancelled" (British spelling)."""

from __future__ import annotations

REQUIREMENTS = ("SUB-STATUS-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.subscription_view

    def subscription_view(account):
        view = original(account)
        if view["status"] == "canceled":
            view["status"] = "cancelled"
        return view

    replace_component(service, "subscription_view", subscription_view)
