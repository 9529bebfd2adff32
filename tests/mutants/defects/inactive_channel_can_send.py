"""Sending checks that the channel exists and the license is active, but not that the channel is active."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-INACTIVE-SEND-REFUSED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.api import v1
    from reference.api.common import ApiError

    def sendable_channel(request, caller, channel_id):
        channel = v1.owned_channel(request, caller, channel_id)
        if not caller.account.is_active:
            raise ApiError(402, f"Subscription is {caller.account.sub_status}: sending is blocked")
        return channel

    replace_component(v1, "sendable_channel", sendable_channel)
