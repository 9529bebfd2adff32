"""GET /channels/{id} answers a detail view without the subscription block that the list carries."""

# no ``from __future__ import annotations``: FastAPI must see the real annotations of the replaced endpoint

REQUIREMENTS = ("CHANNEL-GET",)


def apply() -> None:
    from fastapi import Request
    from fastapi.routing import APIRoute

    from reference.api import v1

    original = v1.get_channel

    async def get_channel(channel_id: str, request: Request, caller: v1.CallerDep):
        view = dict(await original(channel_id, request, caller))
        view.pop("subscription", None)
        return view

    for route in list(v1.router.routes):
        if isinstance(route, APIRoute) and route.endpoint is original:
            v1.router.routes.remove(route)
    v1.router.add_api_route("/channels/{channel_id}", get_channel, methods=["GET"])
