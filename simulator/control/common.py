"""Shared pieces of the control API: strict JSON parsing, strict bodies, world lookup."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from simulator.world import Store, World


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _NonFinite(name)


class StrictJSONRoute(APIRoute):
    """Refuse NaN/Infinity in JSON bodies (Python's parser accepts them; JSON and Meta do not)."""

    def get_route_handler(self):  # type: ignore[no-untyped-def]
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            raw = await request.body()  # cached on the request; FastAPI reads the same bytes
            if raw:
                try:
                    json.loads(raw, parse_constant=_reject_constant)
                except _NonFinite as exc:
                    return JSONResponse({"detail": f"{exc} is not valid JSON"}, status_code=400)
                except ValueError:
                    pass  # FastAPI reports malformed JSON itself (422)
            return await original(request)

        return handler




def new_router() -> APIRouter:
    return APIRouter(prefix="/_sim", route_class=StrictJSONRoute)


class Body(BaseModel):
    """Control bodies reject unknown keys, so a typo is a 422 rather than a silently ignored option."""

    model_config = ConfigDict(extra="forbid")


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def world_of(request: Request, world_id: str) -> World:
    world = store_of(request).get_world(world_id)
    if world is None:
        raise HTTPException(404, f"no world {world_id!r}")
    return world


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
