"""Redirect URIs, setup URL, the browser side of the OAuth flow, and exchange-code."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from reference import v2026
from reference.api.common import ApiError, Caller, components, parse_body, require_api_key
from reference.api.v1 import say_ignored_events
from reference.channel_service import ChannelError, validate_secret
from reference.clock import iso
from reference.oauth import OAuthError, add_query, new_code
from reference.redirects import RedirectError, matches, validate_pattern, validate_uri
from reference.repos.connect import Redirect

log = logging.getLogger("reference.connect")
api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)])
browser = APIRouter(prefix="/setup")
CallerDep = Annotated[Caller, Depends(require_api_key)]


class RedirectCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    uri_pattern: str


class SetupUrlRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel_type: Literal["whatsapp", "instagram", "facebook"]
    redirect_uri: str = Field(min_length=1, max_length=2048)


class ExchangeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(min_length=1, max_length=512)
    webhook_url: str | None = Field(default=None, max_length=4096)
    webhook_secret: str | None = Field(default=None, max_length=4096)
    webhook_events: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)


def _redirect_view(redirect: Any) -> dict[str, Any]:
    return {"id": redirect.id, "uri_pattern": redirect.uri_pattern}


def key_redirects(comps: Any, caller: Caller) -> list[Redirect]:
    """The redirects registered under the calling API key: each key has its own list (REDIRECT-LIST)."""
    redirects: list[Redirect] = comps.redirects.list_for_key(caller.key.id)
    return redirects


def redirect_allowed(comps: Any, caller: Caller, redirect_uri: str) -> bool:
    """Whether ``redirect_uri`` matches a pattern of the calling API key, not of another key of the same account
    (CONNECT-SETUP-REDIRECT-PER-KEY)."""
    return any(matches(r.uri_pattern, redirect_uri) for r in comps.redirects.list_for_key(caller.key.id))


@api.get("/redirects")
async def list_redirects(request: Request, caller: CallerDep) -> dict[str, Any]:
    items = [_redirect_view(r) for r in key_redirects(components(request), caller)]
    return {"redirects": items, "total": len(items)}


@api.post("/redirects", status_code=201)
async def add_redirect(request: Request, caller: CallerDep) -> dict[str, Any]:
    body = await parse_body(request, RedirectCreate)
    try:
        pattern = validate_pattern(body.uri_pattern)
    except RedirectError as exc:
        raise ApiError(422, str(exc)) from None
    repo = components(request).redirects
    for existing in repo.list_for_key(caller.key.id):
        if existing.uri_pattern == pattern:
            return _redirect_view(existing)
    return _redirect_view(repo.add(caller.account.id, caller.key.id, pattern))


@api.delete("/redirects/{redirect_id}")
async def delete_redirect(redirect_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    if len(redirect_id) > 128 or not components(request).redirects.delete(caller.key.id, redirect_id):
        raise ApiError(404, "Redirect not found")
    return {"success": True, "id": redirect_id}


@api.post("/channels/setup-url")
async def setup_url(request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    body = await parse_body(request, SetupUrlRequest)
    unpaid = v2026.setup_without_subscription(comps, caller.account)
    if unpaid is not None:
        raise ApiError(402, unpaid)
    try:
        validate_uri(body.redirect_uri)
    except RedirectError as exc:
        raise ApiError(400, str(exc)) from None
    if not redirect_allowed(comps, caller, body.redirect_uri):
        raise ApiError(400, "redirect_uri is not in the allowed redirect URIs of this API key "
                            "(register it with POST /api/v1/redirects)")
    full = v2026.no_free_slot(comps, caller.account.id, body.channel_type)
    if full is not None:
        raise ApiError(409, full)
    session = comps.setup.create_session(caller.account.id, caller.key.id, body.channel_type, body.redirect_uri,
                                         comps.profile["setup_url_ttl_seconds"])
    return {"setup_url": f"{comps.oauth.public_url}/setup/start?session={session.id}", "session_id": session.id,
            "expires_at": iso(session.expires_at)}


@api.post("/channels/exchange-code")
async def exchange_code(request: Request, response: Response, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    body = await parse_body(request, ExchangeRequest)
    asset = comps.setup.peek_code(body.code, caller.account.id)
    if asset is None:
        raise ApiError(400, "Invalid, expired or already used code")
    fields = body.model_dump(include=body.model_fields_set)
    try:  # validate the webhook settings before the code is used up
        if fields.get("webhook_url"):
            comps.channel_service.check_webhook_url(fields["webhook_url"])
        ignored: list[str] = []
        if fields.get("webhook_events") is not None:
            ignored = comps.channel_service.events_to_store(asset["channel_type"], fields["webhook_events"])[1]
        if fields.get("webhook_secret") is not None:
            validate_secret(fields["webhook_secret"])
    except ChannelError as exc:
        raise ApiError(exc.status_code, exc.detail) from None
    asset = comps.setup.consume_code(body.code, caller.account.id)
    if asset is None:
        raise ApiError(400, "Invalid, expired or already used code")
    try:
        channel = await comps.channel_service.connect(
            account_id=caller.account.id, channel_type=asset["channel_type"], asset_id=asset["asset_id"],
            access_token=asset["access_token"], waba_id=asset.get("waba_id"), page_id=asset.get("page_id"),
            token_expires_in=asset.get("expires_in"))
        webhook = {k: v for k, v in fields.items() if k.startswith("webhook_")}
        channel, shown = comps.channel_service.configure_webhook(channel, webhook)
    except ChannelError as exc:
        raise ApiError(exc.status_code, exc.detail) from None
    say_ignored_events(response, ignored)
    view = comps.channel_service.view(channel)
    answer: dict[str, Any] = {"channel_id": channel.id, "channel_type": channel.channel_type, "name": channel.name}
    for key in ("phone_number_id", "phone_number", "waba_id", "ig_account_id", "ig_username", "page_id"):
        if key in view:
            answer[key] = view[key]
    answer.update({"webhook_url": channel.webhook_url, "webhook_secret": shown,
                   "webhook_events": list(channel.webhook_events), "is_active": channel.is_active,
                   "token_expires_at": view["token_expires_at"], "subscription": view["subscription"]})
    return answer


def _fail(session: Any, message: str) -> Response:
    return RedirectResponse(add_query(session.redirect_uri, {"error": "setup_failed", "message": message}), 302)


@browser.get("/start")
async def setup_start(request: Request) -> Response:
    comps = components(request)
    session_id = request.query_params.get("session", "")
    session = comps.setup.get_session(session_id) if 0 < len(session_id) <= 64 else None
    if session is None:
        return JSONResponse({"detail": "Unknown setup session"}, status_code=404)
    if session.completed_at is not None:
        return JSONResponse({"detail": "This setup session was already used"}, status_code=410)
    if session.expires_at <= comps.clock.now():
        return JSONResponse({"detail": "This setup URL has expired (valid for 10 minutes)"}, status_code=410)
    return RedirectResponse(comps.oauth.dialog_url(session.channel_type, session.id), 302)


@browser.get("/callback")
async def setup_callback(request: Request) -> Response:
    comps = components(request)
    params = request.query_params
    session_id = params.get("state", "")
    session = comps.setup.get_session(session_id) if 0 < len(session_id) <= 64 else None
    if session is None:
        return JSONResponse({"detail": "Unknown setup session"}, status_code=400)
    if session.expires_at <= comps.clock.now():
        return JSONResponse({"detail": "This setup session has expired"}, status_code=410)
    if not comps.setup.complete_session(session.id):
        return JSONResponse({"detail": "This setup session was already used"}, status_code=410)
    if params.get("error"):
        if params.get("error") == "access_denied" or params.get("error_reason") == "user_denied":
            return RedirectResponse(add_query(session.redirect_uri, {"error": "access_denied"}), 302)
        return _fail(session, params.get("error_description") or params["error"])
    meta_code = params.get("code")
    if not meta_code:
        return _fail(session, "Meta returned no authorization code")
    try:
        token, expires_in = await comps.oauth.exchange(meta_code)
        asset = await comps.oauth.discover(session.channel_type, token)
    except OAuthError as exc:
        return _fail(session, str(exc))
    except Exception:  # an unexpected answer from Meta must not become a 500
        log.exception("OAuth completion failed for session %s", session.id)
        return _fail(session, "Unexpected answer from Meta")
    taken = [c for c in comps.channels.find_by_asset(asset["channel_type"], asset["asset_id"])
             if c.account_id != session.account_id]
    if taken:
        return _fail(session, "Already connected to another account")
    if v2026.slot_occupied(comps, session.account_id, asset["channel_type"], asset["asset_id"]):
        return RedirectResponse(add_query(session.redirect_uri, {
            "error": "slot_occupied", "message": "Every slot is taken by other Meta accounts: connect the account "
                                                 "that holds the slot, or free a slot first"}), 302)
    asset["expires_in"] = expires_in
    code = new_code()
    comps.setup.issue_code(session, code, asset, comps.profile["exchange_code_ttl_seconds"])
    return RedirectResponse(add_query(session.redirect_uri, {"code": code}), 302)
