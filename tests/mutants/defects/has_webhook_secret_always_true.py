"""has_webhook_secret is true for every channel: it tests that the secret column exists, not that it is set."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-HAS-SECRET",)


def apply() -> None:
    import reference.channel_service as service

    original = service.channel_view

    def channel_view(channel, account):
        view = original(channel, account)
        view["has_webhook_secret"] = hasattr(channel, "webhook_secret")
        return view

    service.channel_view = channel_view
