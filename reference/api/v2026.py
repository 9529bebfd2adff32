"""Routes of profile fiwano-2026-10 (mounted only when the reference runs that profile, reference/v2026.py).

2026-10-01 "OpenAPI by URL": ``/api/v1/openapi.json`` and ``/api/v1/openapi.yaml`` serve the contract of
the reference's profile (contract/openapi.yaml with the overlays of its lineage), without a key and
importable cross-origin (CORS): CONTRACT-OPENAPI-JSON-URL, CONTRACT-OPENAPI-YAML-URL, CONTRACT-OPENAPI-CORS.
2026-07 ``GET /api/v1/subscriptions``: the plans and their free channel slots (SUB-LIST).
"""

from __future__ import annotations

import json
from functools import lru_cache

import yaml
from fastapi import APIRouter, Request, Response

import contract
from typing import Annotated, Any

from fastapi import Depends

from reference import v2026
from reference.api.common import Caller, components, require_api_key

CallerDep = Annotated[Caller, Depends(require_api_key)]

router = APIRouter(prefix="/api/v1")

CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS",
                "Access-Control-Allow-Headers": "*", "Access-Control-Max-Age": "600"}


@lru_cache(maxsize=4)
def _rendered(profile: str) -> tuple[bytes, bytes]:
    document = contract.load_openapi_of_profile(profile)
    as_json = json.dumps(document, ensure_ascii=False, default=str).encode()
    as_yaml = yaml.safe_dump(json.loads(as_json), sort_keys=False, allow_unicode=True).encode()
    return as_json, as_yaml


def _profile(request: Request) -> str:
    return str(components(request).profile.get("name") or "default")


@router.get("/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> Response:
    return Response(_rendered(_profile(request))[0], media_type="application/json", headers=CORS_HEADERS)


@router.get("/openapi.yaml", include_in_schema=False)
async def openapi_yaml(request: Request) -> Response:
    return Response(_rendered(_profile(request))[1], media_type="application/yaml", headers=CORS_HEADERS)


@router.options("/openapi.json", include_in_schema=False)
@router.options("/openapi.yaml", include_in_schema=False)
async def openapi_preflight() -> Response:
    return Response(status_code=204, headers=CORS_HEADERS)


@router.get("/subscriptions")
async def subscriptions(request: Request, caller: CallerDep) -> dict[str, Any]:
    comps = components(request)
    return v2026.subscriptions_view(comps, comps.accounts.effective(caller.account))
