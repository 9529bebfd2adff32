"""Reads of the business assets (phone number, WABA, Page, Instagram account) and subscribed_apps.

Graph returns a default field set and, with ``?fields=a,b``, exactly the requested known fields plus
``id``; unknown field names are Graph error 100.
"""

from __future__ import annotations

from typing import Any

from simulator.errors import GraphError, invalid
from simulator.graph.context import GraphCall, GraphResult
from simulator.world import Asset


def _select(call: GraphCall, full: dict[str, Any], default: tuple[str, ...]) -> dict[str, Any]:
    fields = call.params.get("fields")
    if fields is None or fields == "":
        return {k: full[k] for k in default if k in full}
    if not isinstance(fields, str):
        raise invalid("Param fields must be a comma-separated string")
    wanted = [f.strip().split("{")[0] for f in fields.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in full]
    if unknown:
        raise GraphError(100, f"(#100) Tried accessing nonexisting field ({unknown[0]})")
    out = {k: full[k] for k in wanted if full.get(k) is not None}
    out["id"] = full["id"]
    return out


def phone_number(call: GraphCall, asset: Asset) -> GraphResult:
    full = {"id": asset.phone_number_id, "display_phone_number": asset.formatted_phone_number,
            "verified_name": asset.name, "quality_rating": "GREEN", "code_verification_status": "VERIFIED",
            "name_status": "APPROVED", "status": "CONNECTED", "platform_type": "CLOUD_API",
            "messaging_limit_tier": "TIER_1K", "account_mode": "LIVE", "throughput": {"level": "STANDARD"},
            "quality_score": {"score": "GREEN"}, "is_on_biz_app": False, "is_official_business_account": False,
            "is_pin_enabled": False, "is_preverified_number": False, "search_visibility": "VISIBLE",
            "whatsapp_business_manager_messaging_limit": "TIER_1K", "health_status": {"can_send_message": "AVAILABLE"},
            "country_code": "US", "country_dial_code": "1",
            # known fields Meta omits unless set (None = omitted from answers):
            "conversational_automation": None, "webhook_configuration": None, "new_name_status": None,
            "eligibility_for_api_business_global_search": None, "certificate": None, "new_certificate": None,
            "last_onboarded_time": None}
    return GraphResult(_select(call, full, ("verified_name", "display_phone_number", "quality_rating", "id")))


def phone_numbers(call: GraphCall, asset: Asset) -> GraphResult:
    item = phone_number(call, asset).body
    return GraphResult({"data": [item], "paging": {"cursors": {"before": "QVFIUmxx", "after": "QVFIUmxx"}}})


def waba(call: GraphCall, asset: Asset) -> GraphResult:
    full = {"id": asset.waba_id, "name": f"{asset.name} WABA", "currency": "USD", "timezone_id": "1",
            "message_template_namespace": f"ns_{asset.waba_id}", "account_review_status": "APPROVED"}
    return GraphResult(_select(call, full, ("id", "name", "currency", "timezone_id", "message_template_namespace")))


def page(call: GraphCall, asset: Asset) -> GraphResult:
    full: dict[str, Any] = {"id": asset.page_id, "name": asset.name, "category": "Business",
                            "access_token": asset.access_token}
    linked = [a for a in call.world.assets if a.channel == "instagram" and a.page_id == asset.page_id]
    if asset.channel == "instagram":
        full["name"] = f"{asset.name} Page"
        owner = next((a for a in call.world.assets if a.channel == "facebook" and a.page_id == asset.page_id), None)
        if owner is not None:
            full["name"] = owner.name
            full["access_token"] = owner.access_token
    full["instagram_business_account"] = {"id": linked[0].ig_account_id} if linked else None
    return GraphResult(_select(call, full, ("id", "name")))


def instagram_account(call: GraphCall, asset: Asset) -> GraphResult:
    full = {"id": asset.ig_account_id, "username": asset.username, "name": asset.name,
            "profile_picture_url": f"{call.request.base_url}/cdn/profile/{asset.ig_account_id}.jpg",
            "followers_count": 1234, "follows_count": 56, "media_count": 7,
            "biography": "", "website": None}
    return GraphResult(_select(call, full, ("id", "username", "name")))


def subscribed_apps(call: GraphCall, asset: Asset) -> GraphResult:
    """Subscription state belongs to the WABA/Page (shared assets see the same state)."""
    method = call.request.method
    app = call.store.app
    object_id = call.request.segments[0] if call.request.segments[0] != "me" else asset.asset_id
    subscriptions = call.world.subscriptions
    if method == "POST":
        with call.store.lock:
            subscriptions.add(object_id)
        return GraphResult({"success": True})
    if method == "DELETE":
        with call.store.lock:
            subscriptions.discard(object_id)
        return GraphResult({"success": True})
    if method == "GET":
        if object_id not in subscriptions:
            return GraphResult({"data": []})
        key = "whatsapp_business_api_data" if asset.channel == "whatsapp" else None
        info = {"id": app["app_id"], "name": "Fiwano Simulator App",
                "link": f"https://www.facebook.com/games/?app_id={app['app_id']}"}
        return GraphResult({"data": [{key: info} if key else info]})
    raise GraphError(100, f"(#100) Unsupported method {method} on subscribed_apps")
