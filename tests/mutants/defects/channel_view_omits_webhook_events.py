"""The channel representation leaves out webhook_events (as the docs example does)."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-COMMON-FIELDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.channel_view

    def channel_view(channel, account):
        view = original(channel, account)
        view.pop("webhook_events", None)
        return view

    replace_component(service, "channel_view", channel_view)
