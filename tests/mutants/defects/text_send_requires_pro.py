"""Sending text requires Pro: the Pro license check is applied to every send, so Starter gets 402 for text."""

from __future__ import annotations

REQUIREMENTS = ("TIER-STARTER-TEXT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.api import v1
    from reference.api.common import ApiError

    original = v1.sendable_channel

    def sendable_channel(request, caller, channel_id):
        channel = original(request, caller, channel_id)
        if caller.account.tier != "pro":
            raise ApiError(402, "Sending requires a Pro license. Upgrade via the Billing page.")
        return channel

    replace_component(v1, "sendable_channel", sendable_channel)
