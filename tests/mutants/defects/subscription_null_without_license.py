"""A channel bound to no subscription shows "subscription": null instead of the subscription object."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-SUBSCRIPTION-PRESENT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.channel_view

    def channel_view(channel, account):
        view = original(channel, account)
        if account is None or account.sub_status == "none":
            view["subscription"] = None
        return view

    replace_component(service, "channel_view", channel_view)
