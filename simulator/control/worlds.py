"""Control API, part 1: app settings, health, reset, worlds and their options, the journal, clocks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request, Response
from pydantic import Field, field_validator

from simulator.clock import Clock, ClockError, parse_time
from simulator.control.common import Body, new_router, store_of, world_of
from simulator.world import WorldSpecError


router = new_router()


class AppUpdate(Body):
    app_secret: str | None = Field(default=None, min_length=1)
    verify_token: str | None = Field(default=None, min_length=1)
    target_webhook_url: str | None = Field(default=None, max_length=4096)

    @field_validator("app_secret", "verify_token", "target_webhook_url")
    @classmethod
    def _encodable(cls, value: str | None) -> str | None:
        # a lone surrogate was stored, then every answer showing the app settings and every webhook failed
        # with a 500 until a reset (issue 18 row 11); an invalid URL stays allowed (a delivery error, on purpose)
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("must be valid Unicode (no lone surrogates)") from None
        return value


class AssetSpec(Body):
    channel: Literal["whatsapp", "instagram", "facebook"]
    name: str | None = Field(default=None, min_length=1, max_length=200)
    share_with: int | None = Field(default=None, ge=0)  # index of an earlier asset: same WABA / same Page


class WorldOptions(Body):
    enforce_window: bool | None = None
    whatsapp_window_error: Literal["async", "sync"] | None = None
    whatsapp_media_error: Literal["async", "sync"] | None = None
    cdn_default_fetchable: bool | None = None
    text_length_unit: Literal["chars", "utf16", "bytes"] | None = None
    webhook_retry_delays: list[Annotated[float, Field(ge=0, le=3600)]] | None = Field(default=None, max_length=20)
    # Meta may answer a list edge with fewer items than the limit asked for; a client must follow paging.next.
    graph_page_size_max: int | None = Field(default=None, ge=1, le=1000)


class WorldCreate(Body):
    label: str | None = Field(default=None, max_length=200)
    assets: list[AssetSpec] = Field(default_factory=list, max_length=50)
    options: WorldOptions | None = None


class ClockAdvance(Body):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


class ClockSet(Body):
    now: float | str




# ---- app, health, reset -------------------------------------------------------------------------

@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    settings = store_of(request).settings
    if settings.instances > 1:  # one of several behind a router: which one (the fleet checks its backends)
        return {"status": "ok", "instance": settings.instance, "instances": settings.instances}
    return {"status": "ok"}


@router.get("/instances")
async def instances() -> dict[str, int]:
    """How many simulator processes answer at this URL: 1 here; a router in front of N answers N itself, and
    the control client then fans global changes out to each (docs/scaling.md)."""
    return {"instances": 1}


@router.get("/app")
async def get_app(request: Request) -> dict[str, Any]:
    store = store_of(request)
    with store.lock:
        return dict(store.app)


@router.put("/app")
async def put_app(body: AppUpdate, request: Request) -> dict[str, Any]:
    store = store_of(request)
    with store.lock:
        for key, value in body.model_dump(exclude_unset=True).items():
            if value is None and key != "target_webhook_url":
                continue
            store.app[key] = value
        store.changed()
        return dict(store.app)


@router.post("/reset", status_code=204)
async def reset(request: Request) -> Response:
    store_of(request).reset()
    return Response(status_code=204)


# ---- worlds -------------------------------------------------------------------------------------

@router.post("/worlds")
async def create_world(body: WorldCreate, request: Request) -> dict[str, Any]:
    options = body.options.model_dump(exclude_none=True) if body.options else {}
    try:
        world = store_of(request).create_world(body.label, [a.model_dump() for a in body.assets], options)
    except WorldSpecError as exc:
        raise HTTPException(400, str(exc)) from exc
    return world.to_dict()


@router.get("/worlds")
async def list_worlds(request: Request) -> dict[str, Any]:
    store = store_of(request)
    with store.lock:
        return {"worlds": [{"world_id": w.world_id, "label": w.label, "assets": len(w.assets)}
                           for w in store.worlds.values()]}


@router.get("/worlds/{world_id}")
async def get_world(world_id: str, request: Request) -> dict[str, Any]:
    return world_of(request, world_id).to_dict()


@router.delete("/worlds/{world_id}", status_code=204)
async def delete_world(world_id: str, request: Request) -> Response:
    if not store_of(request).delete_world(world_id):
        raise HTTPException(404, f"no world {world_id!r}")
    return Response(status_code=204)


@router.patch("/worlds/{world_id}/options")
async def set_options(world_id: str, body: WorldOptions, request: Request) -> dict[str, Any]:
    world = world_of(request, world_id)
    with store_of(request).lock:
        world.options.update(body.model_dump(exclude_none=True))
    return world.to_dict()


# ---- journal ------------------------------------------------------------------------------------

@router.get("/worlds/{world_id}/journal")
async def journal(world_id: str, request: Request, method: str | None = Query(default=None),
                  path_contains: str | None = Query(default=None),
                  since_seq: int | None = Query(default=None)) -> dict[str, Any]:
    world_of(request, world_id)
    entries = store_of(request).journal.entries(world_id=world_id, method=method, path_contains=path_contains,
                                              since_seq=since_seq)
    return {"entries": [e.to_dict() for e in entries]}


# ---- clock --------------------------------------------------------------------------------------

def _clock_answer(clock: Clock) -> dict[str, Any]:
    return clock.snapshot()


@router.get("/clock")
async def get_clock(request: Request) -> dict[str, Any]:
    return _clock_answer(store_of(request).clock)


@router.post("/clock/advance")
async def advance_clock(body: ClockAdvance, request: Request) -> dict[str, Any]:
    clock = store_of(request).clock
    try:
        clock.advance(body.seconds)
    except ClockError as exc:
        raise HTTPException(400, str(exc)) from exc
    return _clock_answer(clock)


@router.put("/clock")
async def set_clock(body: ClockSet, request: Request) -> dict[str, Any]:
    clock = store_of(request).clock
    try:
        clock.set(parse_time(body.now))
    except ClockError as exc:
        raise HTTPException(400, str(exc)) from exc
    return _clock_answer(clock)


@router.get("/worlds/{world_id}/clock")
async def get_world_clock(world_id: str, request: Request) -> dict[str, Any]:
    return _clock_answer(world_of(request, world_id).clock)


@router.post("/worlds/{world_id}/clock/advance")
async def advance_world_clock(world_id: str, body: ClockAdvance, request: Request) -> dict[str, Any]:
    clock = world_of(request, world_id).clock
    try:
        clock.advance(body.seconds)
    except ClockError as exc:
        raise HTTPException(400, str(exc)) from exc
    return _clock_answer(clock)


@router.put("/worlds/{world_id}/clock")
async def set_world_clock(world_id: str, body: ClockSet, request: Request) -> dict[str, Any]:
    clock = world_of(request, world_id).clock
    try:
        clock.set(parse_time(body.now))
    except ClockError as exc:
        raise HTTPException(400, str(exc)) from exc
    return _clock_answer(clock)
