"""REST API v1: channels and messages (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reference import v2026
from reference.api.common import ApiError, Caller, Recipient, components, parse_body, read_json, require_api_key
from reference.channel_service import ChannelError
from reference.repos.channels import Channel
from reference.media import safe_filename
from reference.sending import media_body, text_body
from reference.urls import UnsafeURL, check_https_url

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_api_key)])
CallerDep = Annotated[Caller, Depends(require_api_key)]


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="ignore")
    webhook_url: str | None = Field(default=None, max_length=4096)
    webhook_secret: str | None = Field(default=None, max_length=4096)
    webhook_events: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=50)


class SendText(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel_id: str = Field(min_length=1, max_length=128)
    recipient: Recipient
    text: str

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return value


class SendMedia(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel_id: str = Field(min_length=1, max_length=128)
    recipient: Recipient
    media_type: Literal["image", "audio", "video", "document"]
    media_url: str = Field(min_length=1, max_length=2048)
    caption: str | None = Field(default=None, max_length=1024)
    filename: str | None = Field(default=None, max_length=255)

    @field_validator("filename")
    @classmethod
    def _filename(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(ord(c) < 0x20 or c in "/\\" for c in value)):
            raise ValueError("filename must be a plain file name without path separators or control characters")
        return value


class SendSticker(BaseModel):
    """Profile fiwano-2026-10 (SEND-STICKER): send-media with media_type "sticker": a WebP ``media_url`` on
    WhatsApp, a catalog ``sticker_id`` on Messenger (reference/v2026.py sticker_request)."""

    model_config = ConfigDict(extra="ignore")
    channel_id: str = Field(min_length=1, max_length=128)
    recipient: Recipient
    media_type: Literal["sticker"]
    media_url: str | None = Field(default=None, min_length=1, max_length=2048)
    sticker_id: Any = None


IGNORED_EVENTS_HEADER = "X-Fiwano-Ignored-Webhook-Events"


def say_ignored_events(response: Response, ignored: list[str]) -> None:
    """Tell the client which webhook_events were ignored (not valid for the channel type), beside the body:
    the body keeps exactly the documented shape, whose webhook_events already shows what was stored."""
    if ignored:
        response.headers[IGNORED_EVENTS_HEADER] = ", ".join(ignored)


def _raise(exc: ChannelError) -> None:
    raise ApiError(exc.status_code, exc.detail) from None


def owned_channel(request: Request, caller: Caller, channel_id: str) -> Channel:
    channel = components(request).channels.get_owned(caller.account.id, channel_id) if len(channel_id) <= 128 else None
    if channel is None:
        raise ApiError(404, "Channel not found")
    return channel


def sendable_channel(request: Request, caller: Caller, channel_id: str) -> Channel:
    channel = owned_channel(request, caller, channel_id)
    if not channel.is_active:
        raise ApiError(400, "Channel is inactive; reconnect it via a new OAuth flow")
    if not caller.account.is_active:
        raise ApiError(402, f"Subscription is {caller.account.sub_status}: sending is blocked until the "
                            "subscription is active. Go to Billing.")
    return channel


@router.get("/channels")
async def list_channels(request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    views = [comps.channel_service.view(c) for c in comps.channels.list_for_account(caller.account.id)]
    return {"channels": views, "total": len(views)}


def channel_detail(request: Request, caller: Caller, channel_id: str) -> dict[str, Any]:
    """The caller's channel, in the same view as an item of the list (subscription block included: CHANNEL-GET)."""
    return components(request).channel_service.view(owned_channel(request, caller, channel_id))


@router.get("/channels/{channel_id}")
async def get_channel(channel_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    return channel_detail(request, caller, channel_id)


@router.patch("/channels/{channel_id}")
async def patch_channel(channel_id: str, request: Request, response: Response, caller: CallerDep) -> dict[str, Any]:
    channel = owned_channel(request, caller, channel_id)
    body = await parse_body(request, ChannelPatch)
    service = components(request).channel_service
    try:
        updated, shown = service.configure_webhook(channel, body.model_dump(include=body.model_fields_set))
    except ChannelError as exc:
        _raise(exc)
    view = service.view(updated)
    if shown is not None:
        view["webhook_secret"] = shown
    if body.webhook_events:
        say_ignored_events(response, service.events_to_store(channel.channel_type, body.webhook_events)[1])
    return view


async def deactivate_owned_channel(request: Request, caller: Caller, channel_id: str) -> Channel:
    """Deactivate (and unsubscribe) the caller's channel. Ownership is checked first: a foreign or unknown id is
    a 404 that changes nothing (ISOLATION-NO-SIDE-EFFECT)."""
    channel = owned_channel(request, caller, channel_id)
    return await components(request).channel_service.deactivate(channel)


@router.delete("/channels/{channel_id}")
async def delete_channel(channel_id: str, request: Request, caller: CallerDep) -> dict[str, Any]:
    updated = await deactivate_owned_channel(request, caller, channel_id)
    return {"success": True, "channel_id": updated.id, "is_active": False}


def refuse_invalid_recipient(comps: Any, channel_type: str, recipient: str) -> None:
    """Profile fiwano-2026-10: an obviously invalid WhatsApp recipient is a 400 before any Meta call."""
    problem = v2026.recipient_problem(comps.profile, channel_type, recipient)
    if problem is not None:
        raise ApiError(400, problem)


@router.post("/messages/send")
async def send_message(request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    body = await parse_body(request, SendText)
    channel = sendable_channel(request, caller, body.channel_id)
    refuse_invalid_recipient(comps, channel.channel_type, body.recipient)
    too_long = comps.text_limits.check(channel.channel_type, body.text)
    if too_long is not None:
        raise ApiError(400, too_long)
    return await comps.sending.send(account_id=caller.account.id, channel=channel, recipient=body.recipient,
                                    kind="text", text=body.text,
                                    meta_request=text_body(channel, body.recipient, body.text))


def media_sendable_channel(request: Request, caller: Caller, channel_id: str, media_url: str | None) -> Channel:
    """What every media send (stickers included) checks before the channel's own rules: a safe public HTTPS
    ``media_url`` when one is given (422), the channel as any send finds it, and a Pro license (402,
    TIER-SEND-MEDIA-PRO), in that order."""
    if media_url is not None:
        try:
            check_https_url(media_url, max_length=2048, field="media_url")
        except UnsafeURL as exc:
            raise ApiError(422, str(exc)) from None
    channel = sendable_channel(request, caller, channel_id)
    if caller.account.tier != "pro":
        raise ApiError(402, "Sending media requires a Pro license. Upgrade via the Billing page.")
    return channel


@router.post("/messages/send-media")
async def send_media(request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    if v2026.enabled(comps.profile):
        data = await read_json(request)
        if isinstance(data, dict) and data.get("media_type") == "sticker":
            return await send_sticker(request, caller)
    body = await parse_body(request, SendMedia)
    channel = media_sendable_channel(request, caller, body.channel_id, body.media_url)
    if channel.channel_type == "instagram" and body.media_type == "document":
        raise ApiError(422, "Instagram supports outbound image, video and audio only (no document)")
    refuse_invalid_recipient(comps, channel.channel_type, body.recipient)
    return await comps.sending.send(account_id=caller.account.id, channel=channel, recipient=body.recipient,
                                    kind="media", text=body.caption,
                                    meta_request=media_body(channel, body.recipient, body.media_type,
                                                            body.media_url, body.caption, body.filename))


async def send_sticker(request: Request, caller: Caller) -> dict[str, Any]:
    """SEND-STICKER (profile fiwano-2026-10): a sticker through send-media, checked like any media send."""
    comps = components(request)
    body = await parse_body(request, SendSticker)
    channel = media_sendable_channel(request, caller, body.channel_id, body.media_url)
    try:
        meta_request = v2026.sticker_request(channel.channel_type, body.recipient, body.media_url, body.sticker_id)
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    refuse_invalid_recipient(comps, channel.channel_type, body.recipient)
    return await comps.sending.send(account_id=caller.account.id, channel=channel, recipient=body.recipient,
                                    kind="media", text=None, meta_request=meta_request)


@router.get("/media/{media_id}")
async def download_media(media_id: str, request: Request, caller: CallerDep) -> Response:
    comps = components(request)
    stored = comps.media_repo.get(media_id) if len(media_id) <= 64 else None
    if stored is None or stored.account_id != caller.account.id:
        raise ApiError(404, "Media file not found")
    if caller.account.tier != "pro" or not caller.account.is_active:
        raise ApiError(402, "Downloading media requires an active Pro license")
    if stored.content is None or stored.expires_at <= comps.clock.now():
        raise ApiError(410, "Media file expired or unavailable" + (f": {stored.error}" if stored.error else ""))
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    name = safe_filename(stored.filename)
    headers["Content-Disposition"] = f'attachment; filename="{name}"' if name else "attachment"
    return Response(stored.content, media_type=stored.mime_type or "application/octet-stream", headers=headers)
