"""auto_renew is true for an active enterprise subscription (renewed by contract), not only for paddle."""

from __future__ import annotations

REQUIREMENTS = ("SUB-AUTO-RENEW",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.subscription_view

    def subscription_view(account):
        view = original(account)
        if view["status"] == "active" and view["source"] == "enterprise":
            view["auto_renew"] = True
        return view

    replace_component(service, "subscription_view", subscription_view)
