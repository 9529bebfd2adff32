"""User objects: ``/me`` for the world's user token and PSID/IGSID profiles.

Profiles exist only for users who messaged the asset (an inbound message creates one) or that a test
registered; PSIDs/IGSIDs are scoped to one Page/IG account, so another asset's token cannot read them.
"""

from __future__ import annotations

from typing import Any

from simulator.errors import GraphError, unknown_object
from simulator.graph.assets import _select
from simulator.graph.context import GraphCall, GraphResult

MESSENGER_DEFAULT = ("first_name", "last_name", "profile_pic", "id")
INSTAGRAM_DEFAULT = ("name", "username", "profile_pic", "id")


def me(call: GraphCall, edge: str | None) -> GraphResult:
    world = call.token_world
    if edge is None and call.request.method == "GET":
        return GraphResult(_select(call, {"id": world.user_id,
                                          "name": "Simulator Test User"}, ("id", "name")))
    if edge == "accounts" and call.request.method == "GET":
        pages: list[dict[str, Any]] = []
        seen: dict[str, dict[str, Any]] = {}
        for asset in world.assets:
            if asset.channel == "whatsapp":
                continue
            if asset.page_id in seen:  # an Instagram account on a Facebook asset's Page
                if asset.channel == "instagram":
                    seen[asset.page_id]["instagram_business_account"] = {"id": asset.ig_account_id,
                                                                         "username": asset.username}
                continue
            page: dict[str, Any] = {"access_token": asset.access_token, "category": "Business",
                                    "category_list": [{"id": "2500", "name": "Business"}],
                                    "name": asset.name if asset.channel == "facebook" else f"{asset.name} Page",
                                    "id": asset.page_id,
                                    "tasks": ["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT",
                                              "MANAGE"]}
            if asset.channel == "instagram":
                page["instagram_business_account"] = {"id": asset.ig_account_id, "username": asset.username}
            pages.append(page)
            seen[asset.page_id] = page
        return GraphResult({"data": pages, "paging": {"cursors": {"before": "QVFIUmxx", "after": "QVFIUmxx"}}})
    raise GraphError(100, f"(#100) Unknown path components: /{edge}" if edge else "(#100) Unsupported request")


def profile(call: GraphCall, user_id: str) -> GraphResult:
    world = call.world
    prof = world.profiles[user_id]
    if call.token_asset is not None and call.token_asset.asset_id != prof["asset_id"]:
        raise unknown_object("GET", user_id)
    if prof["channel"] == "facebook":
        full = {"id": user_id, "first_name": prof.get("first_name"), "last_name": prof.get("last_name"),
                "name": prof.get("name"), "profile_pic": prof.get("profile_pic"), "locale": prof.get("locale"),
                "timezone": prof.get("timezone"), "gender": prof.get("gender")}
        return GraphResult(_select(call, full, MESSENGER_DEFAULT))
    full = {"id": user_id, "name": prof.get("name"), "username": prof.get("username"),
            "profile_pic": prof.get("profile_pic"), "follower_count": prof.get("follower_count", 0),
            "is_user_follow_business": prof.get("is_user_follow_business", False),
            "is_business_follow_user": prof.get("is_business_follow_user", False),
            "is_verified_user": prof.get("is_verified_user", False)}
    return GraphResult(_select(call, full, INSTAGRAM_DEFAULT))
