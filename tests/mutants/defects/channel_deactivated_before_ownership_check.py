"""DELETE /channels/{id} deactivates (and unsubscribes) the channel before checking that it belongs to the caller."""

REQUIREMENTS = ("ISOLATION-NO-SIDE-EFFECT",)


def apply() -> None:
    from typing import Any

    from fastapi import Request

    import reference.api.v1 as v1
    from reference.api.common import ApiError, components

    async def delete_channel(channel_id: str, request: Request, caller: v1.CallerDep) -> dict[str, Any]:
        comps = components(request)
        channel = comps.channels.get(channel_id) if len(channel_id) <= 128 else None
        if channel is None:
            raise ApiError(404, "Channel not found")
        updated = await comps.channel_service.deactivate(channel)
        if channel.account_id != caller.account.id:
            raise ApiError(404, "Channel not found")
        return {"success": True, "channel_id": updated.id, "is_active": False}

    for route in v1.router.routes:
        if route.path == "/api/v1/channels/{channel_id}" and "DELETE" in route.methods:
            route.endpoint = delete_channel
