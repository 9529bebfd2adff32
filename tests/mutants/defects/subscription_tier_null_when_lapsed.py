"""subscription.tier is null once the subscription lapsed (expired or canceled), not only when status is none."""

from __future__ import annotations

REQUIREMENTS = ("SUB-TIER-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.subscription_view

    def subscription_view(account):
        view = original(account)
        if view["status"] in ("expired", "canceled"):
            view["tier"] = None
        return view

    replace_component(service, "subscription_view", subscription_view)
