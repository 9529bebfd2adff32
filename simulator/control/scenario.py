"""Control API, part 3: scenario set-up — faults, the fake CDN, media, profiles, templates, OAuth."""

from __future__ import annotations

import base64
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlparse

from fastapi import HTTPException, Request, Response
from pydantic import Field

from simulator import events, ids, inbound, webhooks
from simulator.control.common import Body, base_url, new_router, store_of, world_of
from simulator.faults import FaultScript
from simulator.graph import templates as graph_templates
from simulator.world import CdnEntry


router = new_router()


class CdnRegister(Body):
    url: str = Field(min_length=1, max_length=4096)
    fetchable: bool = True
    content_type: str | None = None
    size: int | None = Field(default=None, ge=0)
    error_code: int | None = Field(default=None, ge=100, le=599)


class MediaRegister(Body):
    asset_id: str
    content_base64: str
    mime_type: str = Field(min_length=1)
    filename: str | None = None
    delivery: Literal["normal", "chunked", "truncated", "endless", "redirect"] = "normal"
    redirect_url: str | None = None


class ProfileSet(Body):
    asset_id: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    profile_pic: str | None = None
    follower_count: int | None = None
    is_verified_user: bool | None = None
    is_user_follow_business: bool | None = None
    is_business_follow_user: bool | None = None




class TemplateReview(Body):
    status: Literal["APPROVED", "REJECTED", "PAUSED", "DISABLED", "FLAGGED", "REINSTATED", "IN_APPEAL", "PENDING"]
    reason: str | None = None
    notify: bool = True


class TemplateSeed(Body):
    """A template made at Meta outside the target (in WhatsApp Manager), on the WABA of ``asset_id``."""
    asset_id: str
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="en_US", min_length=2, max_length=16)
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] = "UTILITY"
    status: Literal["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"] = "APPROVED"
    components: list[dict[str, Any]] | None = Field(default=None, max_length=10)
    parameter_format: Literal["positional", "named"] = "positional"


class OAuthAuthorize(Body):
    url: str | None = None            # the dialog URL the target produced (client_id, redirect_uri, state…)
    redirect_uri: str | None = None   # or give redirect_uri/state directly
    state: str | None = None
    decision: Literal["approve", "deny"] = "approve"
    fragment: bool = False            # append Facebook's "#_=_" to the redirect
    embedded_signup: bool = False     # WhatsApp Embedded Signup: no redirect needed; also return session events




# ---- faults -------------------------------------------------------------------------------------

@router.post("/worlds/{world_id}/faults")
async def add_faults(world_id: str, body: FaultScript, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    return {"rules": world.faults.add(body), "seed": world.faults.seed}


@router.get("/worlds/{world_id}/faults")
async def list_faults(world_id: str, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    return {"rules": world.faults.list(), "seed": world.faults.seed}


@router.delete("/worlds/{world_id}/faults", status_code=204)
async def clear_faults(world_id: str, request: Request) -> Response:
    world_of(request, world_id).faults.clear()
    return Response(status_code=204)


# ---- media, CDN, profiles ---------------------------------------------------------------------------

@router.post("/worlds/{world_id}/cdn")
async def register_cdn(world_id: str, body: CdnRegister, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    with store_of(request).lock:
        world.cdn[body.url] = CdnEntry(**body.model_dump())
    return body.model_dump()


@router.post("/worlds/{world_id}/media")
async def register_media(world_id: str, body: MediaRegister, request: Request) -> dict[str, Any]:
    store, world = store_of(request), world_of(request, world_id)
    asset = next((a for a in world.assets if a.asset_id == body.asset_id), None)
    if asset is None:
        raise HTTPException(404, f"no asset {body.asset_id!r} in world {world_id}")
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except ValueError as exc:
        raise HTTPException(400, "content_base64 is not valid base64") from exc
    item = inbound.register_media(store, world, asset, content, body.mime_type, body.filename)
    item.delivery, item.redirect_url = body.delivery, body.redirect_url
    return {"media_id": item.media_id, "sha256": item.sha256, "file_size": len(content),
            "mime_type": item.mime_type, "cdn_url": f"{base_url(request)}/cdn/{item.cdn_key}"}


@router.put("/worlds/{world_id}/profiles/{user_id}")
async def set_profile(world_id: str, user_id: str, body: ProfileSet, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    asset = next((a for a in world.assets if a.asset_id == body.asset_id), None)
    if asset is None or asset.channel == "whatsapp":
        raise HTTPException(404, f"no Messenger/Instagram asset {body.asset_id!r} in world {world_id}")
    with store_of(request).lock:
        profile = world.profiles.setdefault(user_id, {})
        profile.update({k: v for k, v in body.model_dump(exclude_unset=True).items()})
        profile["channel"] = asset.channel
        return {"user_id": user_id, **profile}


# ---- templates ----------------------------------------------------------------------------------

@router.get("/worlds/{world_id}/templates")
async def list_templates(world_id: str, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    with store_of(request).lock:
        items = [{**t.full(), "waba_id": t.waba_id, "edits": list(t.edits)} for t in world.templates.values()]
    return {"templates": items}


@router.post("/worlds/{world_id}/templates")
async def seed_template(world_id: str, body: TemplateSeed, request: Request) -> dict[str, Any]:
    """A template created at Meta outside the target (WhatsApp Manager): no webhook, no call of the target."""
    store, world = store_of(request), world_of(request, world_id)
    asset = next((a for a in world.assets if a.asset_id == body.asset_id and a.channel == "whatsapp"), None)
    if asset is None or asset.waba_id is None:
        raise HTTPException(404, f"no WhatsApp asset {body.asset_id!r} in world {world_id}")
    components = body.components or [{"type": "BODY", "text": f"Made in WhatsApp Manager: {body.name}"}]
    with store.lock:
        if any(t.waba_id == asset.waba_id and t.name == body.name and t.language == body.language
               and t.status != "DELETED" for t in world.templates.values()):
            raise HTTPException(409, f"template {body.name!r} ({body.language}) already exists on the WABA")
        template = graph_templates.Template(id=ids.template_id(), waba_id=asset.waba_id, name=body.name,
                                            language=body.language, category=body.category, components=components,
                                            parameter_format=body.parameter_format, status=body.status,
                                            created_at=world.clock.now())
        world.templates[template.id] = template
        store.register_object(template.id, world)
        return {**template.full(), "waba_id": template.waba_id}


@router.delete("/worlds/{world_id}/templates/{template_id}")
async def delete_template_at_meta(world_id: str, template_id: str, request: Request) -> dict[str, Any]:
    """The template deleted at Meta outside the target (WhatsApp Manager): no webhook, no call of the target."""
    store, world = store_of(request), world_of(request, world_id)
    with store.lock:
        template = world.templates.get(template_id)
        if template is None or template.status == "DELETED":
            raise HTTPException(404, f"no template {template_id!r} in world {world_id}")
        if template.status == "APPROVED":
            world.name_locks[(template.waba_id, template.name)] = world.clock.now() + 30 * graph_templates.DAY
        template.status = "DELETED"
        return {"id": template_id, "status": "DELETED"}


@router.post("/worlds/{world_id}/templates/{template_id}/review")
async def review_template(world_id: str, template_id: str, body: TemplateReview, request: Request) -> dict[str, Any]:
    """Meta's review outcome: set the status and (by default) send message_template_status_update."""
    store, world = store_of(request), world_of(request, world_id)
    with store.lock:
        template = world.templates.get(template_id)
        if template is None or template.status == "DELETED":
            raise HTTPException(404, f"no template {template_id!r} in world {world_id}")
        reason = body.reason if body.reason is not None else ("INVALID_FORMAT" if body.status == "REJECTED" else "NONE")
        template.status = body.status
        template.rejected_reason = reason if body.status == "REJECTED" else "NONE"
        snapshot = {**template.full(), "waba_id": template.waba_id}
    answer: dict[str, Any] = {"template": snapshot, "delivery": None}
    if body.notify:
        payload = webhooks.template_status_update(template.waba_id, template, body.status, reason, world.clock.now())
        answer["delivery"] = events.public_delivery(await events.emit(store, world, payload))
    return answer


# ---- OAuth -------------------------------------------------------------------------------------------

@router.post("/worlds/{world_id}/oauth/authorize")
async def oauth_authorize(world_id: str, body: OAuthAuthorize, request: Request) -> dict[str, Any]:
    """Stand in for the user approving (or denying) Meta's login dialog; return where Meta redirects."""
    store, world = store_of(request), world_of(request, world_id)
    redirect_uri, state = body.redirect_uri, body.state
    if body.url is not None:
        query = {k: v[0] for k, v in parse_qs(urlparse(body.url).query).items()}
        if query.get("client_id") != store.app["app_id"]:
            raise HTTPException(400, f"dialog client_id {query.get('client_id')!r} is not the app id")
        redirect_uri = redirect_uri or query.get("redirect_uri")
        state = state if state is not None else query.get("state")
    if not redirect_uri and not body.embedded_signup:
        raise HTTPException(400, "redirect_uri is required (directly or inside url) unless embedded_signup is true")
    params: dict[str, str] = {}
    code = None
    if body.decision == "approve":
        code = ids.oauth_code()
        with store.lock:
            store.oauth_codes[code] = {"world_id": world.world_id, "redirect_uri": redirect_uri,
                                       "expires_at": world.clock.now() + 600, "used": False}
        params["code"] = code
    else:
        params.update(error="access_denied", error_code="200", error_description="Permissions error",
                      error_reason="user_denied")
    if state is not None:
        params["state"] = state
    redirect = None
    if redirect_uri:
        separator = "&" if "?" in redirect_uri else "?"
        redirect = redirect_uri + separator + urlencode(params) + ("#_=_" if body.fragment else "")
    answer: dict[str, Any] = {"code": code, "redirect_url": redirect, "state": state}
    if body.embedded_signup:
        # What the Embedded Signup popup posts to the opener (meta-facts.md §5.7), one per WhatsApp asset.
        business_id = world.user_id[::-1]
        answer["session_events"] = [
            {"type": "WA_EMBEDDED_SIGNUP", "version": "3",
             **({"event": "FINISH", "data": {"phone_number_id": a.phone_number_id, "waba_id": a.waba_id,
                                              "business_id": business_id}}
                if body.decision == "approve" else {"event": "CANCEL", "data": {"current_step": "PHONE_NUMBER_SETUP"}})}
            for a in world.assets if a.channel == "whatsapp"]
    return answer
