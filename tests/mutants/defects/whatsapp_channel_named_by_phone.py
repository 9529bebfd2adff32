"""A WhatsApp channel is named by its display phone number instead of the verified business name."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-NAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.channel_view

    def channel_view(channel, account):
        view = original(channel, account)
        if channel.channel_type == "whatsapp" and channel.phone_number:
            view["name"] = channel.phone_number
        return view

    replace_component(service, "channel_view", channel_view)
