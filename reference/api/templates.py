"""Sender profiles, WhatsApp templates and send-template (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from reference import v2026
from reference.api.common import ApiError, Caller, Recipient, components, parse_body, require_api_key
from reference.api.v1 import owned_channel, sendable_channel
from reference.profiles import ProfileError
from reference.repos.channels import Channel
from reference.templates import LANG_RE, STATUS_FILTERS, TemplateError, template_body, validate_components, validate_name

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)])
CallerDep = Annotated[Caller, Depends(require_api_key)]


class ButtonVariable(BaseModel):
    index: StrictInt = Field(ge=0, le=9)
    value: StrictStr = Field(max_length=2000)


class TemplateVariables(BaseModel):
    model_config = ConfigDict(extra="forbid")
    header: list[StrictStr] | dict[str, StrictStr] | None = None
    body: list[StrictStr] | dict[str, StrictStr] | None = None
    buttons: list[ButtonVariable] | None = None


class SendTemplate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel_id: str = Field(min_length=1, max_length=128)
    template_name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=1, max_length=20)
    recipient: Recipient
    variables: TemplateVariables | None = None



class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=10_000)
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"]
    language: str = Field(min_length=2, max_length=20)
    components: list[dict[str, Any]]
    parameter_format: Literal["positional", "named"] = "positional"


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    components: list[dict[str, Any]]
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] | None = None


def _raise(exc: TemplateError | ProfileError) -> None:
    raise ApiError(exc.status_code, exc.detail) from None


def template_channel(request: Request, caller: Caller, channel_id: str) -> Channel:
    channel = owned_channel(request, caller, channel_id)
    if channel.channel_type != "whatsapp":
        raise ApiError(400, "Templates are available for WhatsApp channels only")
    if not channel.is_active:
        raise ApiError(400, "Channel is inactive; reconnect it via a new OAuth flow")
    if not caller.account.is_pro:
        raise ApiError(402, "WhatsApp templates require an active Pro license. Upgrade via the Billing page.")
    return channel


@router.get("/channels/{channel_id}/profile/{user_id}")
async def sender_profile(channel_id: str, user_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    channel = owned_channel(request, caller, channel_id)
    if not user_id.isdigit() or len(user_id) > 64:  # no such Meta user: null, once the channel rules hold
        try:
            components(request).profiles.check_usable(channel)
        except ProfileError as exc:
            _raise(exc)
        return {"channel_id": channel.id, "channel_type": channel.channel_type, "user_id": user_id, "profile": None,
                "cached": False}
    try:
        return await components(request).profiles.get(channel, user_id)
    except ProfileError as exc:
        _raise(exc)
        raise


def sync_requested(request: Request) -> bool:
    """``?sync`` of the template list: true by default; true/false/1/0 in any case, anything else a 422
    (TPL-LIST-SYNC-FALSE: sync=false answers from the local copy without asking Meta)."""
    sync_param = request.query_params.get("sync", "true").lower()
    if sync_param not in ("true", "false", "1", "0"):
        raise ApiError(422, "sync must be true or false")
    return sync_param in ("true", "1")


@router.get("/channels/{channel_id}/templates")
async def list_templates(channel_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    sync = sync_requested(request)
    status = request.query_params.get("status")
    if status is not None and status.lower() == "all":  # the docs' default value, sent explicitly: no filter
        status = None
    if status is not None and status.upper() not in STATUS_FILTERS:
        raise ApiError(422, f"status must be one of {', '.join(STATUS_FILTERS)}")
    channel = template_channel(request, caller, channel_id)
    if sync:
        try:
            await comps.templates.sync(channel)
        except TemplateError as exc:
            _raise(exc)
    items = [t.view() for t in comps.templates.list_local(channel.id, status.upper() if status else None)]
    return {"templates": items, "total": len(items)}


@router.post("/channels/{channel_id}/templates", status_code=201)
async def create_template(channel_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    channel = template_channel(request, caller, channel_id)
    body = await parse_body(request, TemplateCreate)
    try:
        validate_name(body.name, comps.templates.max_name)
        if not LANG_RE.fullmatch(body.language):
            raise TemplateError(422, "language must be a language code such as en_US, es or ru")
        validate_components(body.components)
        template = await comps.templates.create(channel, body.model_dump())
    except TemplateError as exc:
        _raise(exc)
        raise
    return template.view()


def _template(request: Request, channel: Channel, template_id: str):
    template = components(request).templates.get_local(channel.id, template_id) if len(template_id) <= 64 else None
    if template is None:
        raise ApiError(404, "Template not found")
    return template


@router.get("/channels/{channel_id}/templates/{template_id}")
async def get_template(channel_id: str, template_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    channel = template_channel(request, caller, channel_id)
    return _template(request, channel, template_id).view()


@router.put("/channels/{channel_id}/templates/{template_id}")
async def update_template(channel_id: str, template_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    channel = template_channel(request, caller, channel_id)
    template = _template(request, channel, template_id)
    body = await parse_body(request, TemplateUpdate)
    try:
        validate_components(body.components)
        updated = await comps.templates.update(channel, template, body.components, body.category)
    except TemplateError as exc:
        _raise(exc)
        raise
    return updated.view()


@router.delete("/channels/{channel_id}/templates/{template_id}")
async def delete_template(channel_id: str, template_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    raw = request.query_params.get("all_languages", "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(422, "all_languages must be true or false")
    channel = template_channel(request, caller, channel_id)
    template = _template(request, channel, template_id)
    try:
        deleted = await comps.templates.delete(channel, template, raw in ("true", "1"))
    except TemplateError as exc:
        _raise(exc)
        raise
    return {"success": True, "deleted": deleted}


@router.post("/messages/send-template")
async def send_template(request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    body = await parse_body(request, SendTemplate)
    channel = owned_channel(request, caller, body.channel_id)
    if channel.channel_type != "whatsapp":
        raise ApiError(400, "Template messages are supported on WhatsApp channels only")
    channel = sendable_channel(request, caller, body.channel_id)
    if caller.account.tier != "pro":
        raise ApiError(402, "Sending templates requires a Pro license. Upgrade via the Billing page.")
    template = comps.templates.find(channel.id, body.template_name, body.language)
    if template is None or template.status != "APPROVED":
        try:
            await comps.templates.sync(channel)
        except TemplateError as exc:
            _raise(exc)
        template = comps.templates.find(channel.id, body.template_name, body.language)
    refusal = None
    if template is None:
        refusal = f"Template {body.template_name!r} ({body.language}) not found on this channel"
    elif template.status != "APPROVED":
        refusal = f"Template {body.template_name!r} is {template.status}; only APPROVED templates can be sent"
    if refusal is not None:  # TPL-SEND-APPROVED-ONLY: a client error, or (by setting) a failed send
        if comps.readings.follows("TPL-SEND-APPROVED-ONLY", "failed-result"):
            return {"success": False, "status": "failed", "error": refusal}
        raise ApiError(400, refusal)
    variables = body.variables.model_dump(exclude_none=True) if body.variables else None
    problem = v2026.recipient_problem(comps.profile, channel.channel_type, body.recipient)
    if problem is not None:  # profile fiwano-2026-10: SEND-WA-RECIPIENT-VALIDATED
        raise ApiError(400, problem)
    return await comps.sending.send(account_id=caller.account.id, channel=channel, recipient=body.recipient,
                                    kind="template", text=None,
                                    meta_request=template_body(body.recipient, template, variables))

