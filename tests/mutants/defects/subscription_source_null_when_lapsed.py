"""subscription.source is null once the subscription is no longer active (expired or canceled)."""

from __future__ import annotations

REQUIREMENTS = ("SUB-SOURCE-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.subscription_view

    def subscription_view(account):
        view = original(account)
        if view["status"] != "active":
            view["source"] = None
        return view

    replace_component(service, "subscription_view", subscription_view)
