"""DELETE /channels/{id} deactivates (and unsubscribes) the channel before checking that it belongs to the caller."""

from __future__ import annotations

REQUIREMENTS = ("ISOLATION-NO-SIDE-EFFECT",)


def apply() -> None:
    from typing import Any

    from tests.mutants.seams import replace_component

    import reference.api.v1 as v1
    from reference.api.common import ApiError, components

    async def deactivate_owned_channel(request: Any, caller: Any, channel_id: str) -> Any:
        comps = components(request)
        channel = comps.channels.get(channel_id) if len(channel_id) <= 128 else None
        if channel is None:
            raise ApiError(404, "Channel not found")
        updated = await comps.channel_service.deactivate(channel)  # the side effect comes first
        if channel.account_id != caller.account.id:
            raise ApiError(404, "Channel not found")
        return updated

    replace_component(v1, "deactivate_owned_channel", deactivate_owned_channel)
