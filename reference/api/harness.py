"""Harness API (test mode only; not mounted otherwise, so every path answers 404): docs/architecture.md §4.1."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Literal, cast

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from reference.api.common import ApiError, components, parse_body, read_json
from reference.channel_service import ChannelError
from reference.clock import OffsetClock, iso

router = APIRouter(prefix="/harness")


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tier: Literal["starter", "pro"] | None = None
    subscription_status: Literal["active", "expired", "canceled", "none"] = "active"
    source: Literal["trial", "paddle", "enterprise"] | None = None


class SubscriptionChange(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tier: Literal["starter", "pro"] | None = None
    subscription_status: Literal["active", "expired", "canceled", "none"]
    source: Literal["trial", "paddle", "enterprise"] | None = None
    auto_renew: bool | None = None
    expires_at: datetime | None = None


class NewChannel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel_type: Literal["whatsapp", "instagram", "facebook"]
    asset_id: str = Field(min_length=1, max_length=128)
    access_token: str = Field(min_length=1, max_length=4096)
    waba_id: str | None = Field(default=None, max_length=128)
    page_id: str | None = Field(default=None, max_length=128)


class Slots(BaseModel):
    """The channel slots of the account's plan per channel type (profile fiwano-2026-10; unset types keep theirs)."""
    model_config = ConfigDict(extra="forbid")
    slots: dict[Literal["whatsapp", "instagram", "facebook"], int] = Field(min_length=1)


class Settle(BaseModel):
    model_config = ConfigDict(extra="ignore")
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="ignore")
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


def _account(request: Request, account_id: str) -> Any:
    account = components(request).accounts.get(account_id)
    if account is None:
        raise ApiError(404, "Account not found")
    return account


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "ok", "test_mode": True}


@router.post("/accounts", status_code=201)
async def create_account(request: Request) -> dict[str, Any]:
    comps = components(request)
    body = await parse_body(request, NewAccount) if (await request.body()).strip() else NewAccount()
    account = comps.accounts.create(body.tier, body.subscription_status, body.source, comps.profile["trial_days"])
    key, plain = comps.api_keys.issue(account.id)
    return {"account_id": account.id, "api_key": plain, "key_id": key.id}


@router.put("/accounts/{account_id}/slots")
async def set_slots(account_id: str, request: Request) -> dict[str, Any]:
    from reference.repos.slots import SlotRepository

    comps = components(request)
    _account(request, account_id)
    body = await parse_body(request, Slots)
    if any(n < 0 or n > 10_000 for n in body.slots.values()):
        raise ApiError(422, "slots must be 0 to 10000 per channel type")
    repo = SlotRepository(comps.db)
    for channel_type, count in body.slots.items():
        repo.set(account_id, channel_type, count)
    return {"account_id": account_id, "slots": dict(body.slots)}


@router.put("/accounts/{account_id}/subscription")
@router.post("/accounts/{account_id}/subscription")
async def change_subscription(account_id: str, request: Request) -> dict[str, Any]:
    comps = components(request)
    current = _account(request, account_id)
    body = await parse_body(request, SubscriptionChange)
    expires = None
    if body.expires_at is not None:
        moment = body.expires_at if body.expires_at.tzinfo else body.expires_at.replace(tzinfo=timezone.utc)
        expires = moment.timestamp()
    if expires is None and body.subscription_status == "active" and current.sub_status == "active":
        expires = comps.accounts.effective(current).sub_expires_at
    source = body.source
    if source is None and (body.subscription_status == current.sub_status or current.sub_source not in (None, "trial")):
        source = current.sub_source
    account = comps.accounts.set_subscription(account_id, body.tier or current.tier, body.subscription_status,
                                              source, comps.profile["trial_days"], body.auto_renew, expires)
    assert account is not None
    account = comps.accounts.effective(account)
    released = comps.relay.release_held(account_id) if account.is_active else 0
    return {"account_id": account_id, "subscription": comps.subscription_view(account), "released": released}


@router.post("/accounts/{account_id}/keys", status_code=201)
async def add_key(account_id: str, request: Request) -> dict[str, Any]:
    _account(request, account_id)
    key, plain = components(request).api_keys.issue(account_id)
    return {"api_key": plain, "key_id": key.id}


@router.delete("/keys/{key_id}", status_code=204)
async def revoke_key(key_id: str, request: Request) -> Response:
    if not components(request).api_keys.revoke(key_id):
        raise ApiError(404, "API key not found")
    return Response(status_code=204)


@router.post("/accounts/{account_id}/channels", status_code=201)
async def connect_channel(account_id: str, request: Request) -> dict[str, Any]:
    comps = components(request)
    _account(request, account_id)
    body = await parse_body(request, NewChannel)
    try:
        channel = await comps.channel_service.connect(account_id=account_id, channel_type=body.channel_type,
                                                      asset_id=body.asset_id, access_token=body.access_token,
                                                      waba_id=body.waba_id, page_id=body.page_id)
    except ChannelError as exc:
        raise ApiError(exc.status_code, exc.detail) from None
    return cast(dict[str, Any], comps.channel_service.view(channel))


def _clock_view(request: Request) -> dict[str, Any]:
    clock = components(request).clock
    now = clock.now()
    return {"now": iso(now), "epoch": now, "offset_seconds": clock.offset}


@router.get("/clock")
async def get_clock(request: Request) -> dict[str, Any]:
    return _clock_view(request)


async def _small_body(request: Request, model: Any, not_an_object: str, invalid: str, required: bool = True) -> Any:
    """A harness call's one-field body, with one plain message per way it can be wrong (422)."""
    data = await read_json(request, required=required)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ApiError(422, not_an_object)
    try:
        return model.model_validate(data)
    except Exception:  # noqa: BLE001
        raise ApiError(422, invalid) from None


@router.post("/clock/advance")
async def advance_clock(request: Request) -> dict[str, Any]:
    comps = components(request)
    body = await _small_body(request, ClockAdvance, "Request body must be a JSON object with 'seconds'",
                             "'seconds' must be a non-negative number")
    if not isinstance(comps.clock, OffsetClock):
        raise ApiError(409, "The clock of this instance cannot be moved")
    comps.clock.advance(body.seconds)
    await comps.settle()
    return _clock_view(request)


@router.post("/settle")
async def settle(request: Request) -> Any:
    """Finish all work due now (relays, media downloads, due attempts), then answer: the suites' barrier
    before a "nothing arrives" check."""
    comps = components(request)
    body = await _small_body(request, Settle, "Request body must be a JSON object (optional 'timeout_seconds')",
                             "'timeout_seconds' must be a number in (0, 300]", required=False)
    try:
        await asyncio.wait_for(asyncio.shield(comps.settle()), timeout=body.timeout_seconds)
    except asyncio.TimeoutError:
        raise ApiError(503, f"Due work did not finish within {body.timeout_seconds:g} s") from None
    return {"settled": True, "clock": _clock_view(request)}


@router.get("/channels/{channel_id}/deliveries")
async def channel_deliveries(channel_id: str, request: Request) -> dict[str, Any]:
    """Evidence: the relay queue of a channel (bodies as text, attempts with times)."""
    comps = components(request)
    items = []
    for d in comps.deliveries.list(channel_id=channel_id):
        items.append({"id": d.id, "event": d.event, "state": d.state, "attempts": d.attempts,
                      "next_attempt_at": iso(d.next_attempt_at), "deadline_at": iso(d.deadline_at),
                      "body": d.body.decode("utf-8"), "last_status": d.last_status, "last_error": d.last_error,
                      "history": comps.deliveries.attempts_of(d.id)})
    return {"deliveries": items}


@router.get("/messages/{message_id}")
async def message_state(message_id: str, request: Request) -> dict[str, Any]:
    """Evidence: one message with its status and upstream attempts."""
    comps = components(request)
    message = comps.messages.get(message_id)
    if message is None:
        raise ApiError(404, "Message not found")
    return {"id": message.id, "channel_id": message.channel_id, "direction": message.direction,
            "status": message.status, "attempts": message.attempts, "meta_message_id": message.meta_message_id,
            "error": message.error, "error_code": message.error_code, "next_attempt_at": iso(message.next_attempt_at),
            "history": comps.messages.attempts_of(message.id)}


@router.get("/accounts/{account_id}/notifications")
async def notifications(account_id: str, request: Request) -> dict[str, Any]:
    _account(request, account_id)
    return {"notifications": components(request).notifier.list(account_id)}
