"""has_webhook_secret is true for every channel: it tests that the secret column exists, not that it is set."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-HAS-SECRET",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.channel_view

    def channel_view(channel, account):
        view = original(channel, account)
        view["has_webhook_secret"] = hasattr(channel, "webhook_secret")
        return view

    replace_component(service, "channel_view", channel_view)
