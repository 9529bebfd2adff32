"""Route a Graph request to its handler by (object kind, edge, method), after the token check.

Graph paths are ``/{version}/{object-id}[/{edge}]``; what an id *is* (phone number, WABA, Page,
Instagram account, media, template, user) is known only from the world that owns it, so routing looks
the object up first. An object of another world is reported exactly like a missing one, which is what
keeps worlds isolated.
"""

from __future__ import annotations

from simulator.errors import GraphError, unknown_object
from simulator.graph import assets, instagram, media, messenger, oauth, templates, users, whatsapp
from simulator.graph.context import GraphCall, GraphResult


def _unknown_edge(edge: str) -> GraphError:
    return GraphError(100, f"(#100) Unknown path components: /{edge}", error_type="OAuthException")


def dispatch(call: GraphCall) -> GraphResult:
    req = call.request
    segs = req.segments
    if req.extra.get("media_key"):
        return media.download(call, req.extra["media_key"])
    if req.extra.get("cdn_key"):
        return media.cdn_download(call, req.extra["cdn_key"])
    if not segs:
        raise GraphError(100, "(#100) Unsupported request: no object id in the path", details="missing object id")
    if segs[0] in ("oauth", "debug_token") or (len(segs) == 2 and segs[1] == "subscriptions"
                                               and segs[0] == call.store.app["app_id"]):
        return oauth.dispatch(call)
    if len(segs) > 2:
        raise _unknown_edge("/".join(segs[2:]))
    if req.token is None:
        raise GraphError(104, "An access token is required to request this resource.")
    if call.token_world is None:
        raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
    world = call.token_world
    if call.store.token_expired(req.token, world):
        raise GraphError(190, "Error validating access token: Session has expired.", subcode=463)
    object_id, edge = segs[0], (segs[1] if len(segs) > 1 else None)
    method = req.method

    if object_id == "me":
        if call.token_asset is None:
            return users.me(call, edge)
        object_id = call.token_asset.asset_id

    asset = world.asset_by_id(object_id, prefer=call.token_asset)
    if asset is not None:
        if call.token_asset is not None and call.token_asset is not asset:
            raise unknown_object(method, object_id)
        if asset.channel == "whatsapp":
            if object_id == asset.phone_number_id:
                if edge == "messages" and method == "POST":
                    return whatsapp.send(call, asset)
                if edge == "register" and method == "POST":
                    return GraphResult({"success": True})
                if edge is None and method == "GET":
                    return assets.phone_number(call, asset)
            else:  # the WABA
                if edge == "subscribed_apps":
                    return assets.subscribed_apps(call, asset)
                if edge == "message_templates":
                    return templates.collection(call, asset)
                if edge == "phone_numbers" and method == "GET":
                    return assets.phone_numbers(call, asset)
                if edge is None and method == "GET":
                    return assets.waba(call, asset)
        else:
            is_page = object_id == asset.page_id
            if edge == "messages" and method == "POST":
                if asset.channel == "facebook":
                    return messenger.send(call, asset)
                return instagram.send(call, asset)
            if edge == "subscribed_apps":
                return assets.subscribed_apps(call, asset)
            if edge is None and method == "GET":
                if is_page:
                    return assets.page(call, asset)
                return assets.instagram_account(call, asset)
        if edge is None:
            raise unknown_object(method, object_id)
        raise _unknown_edge(edge)

    if object_id in world.media:
        if edge is None and method == "GET":
            return media.info(call, object_id)
        if edge is None and method == "DELETE":
            return media.delete(call, object_id)
    elif object_id in world.templates:
        if edge is None:
            return templates.item(call, object_id)
    elif object_id in world.profiles:
        if edge is None and method == "GET":
            return users.profile(call, object_id)
    raise unknown_object(method, object_id)
