"""Shared HTTP plumbing: error handlers, JSON body parsing, authentication and rate limiting."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from reference import v2026
from reference.bodylimit import MAX_API_BODY_BYTES
from reference.crypto import looks_like_api_key
from reference.repos.accounts import Account, ApiKey
from fiwano_conformance.shared import json_read

log = logging.getLogger("reference.api")

MAX_BODY_BYTES = MAX_API_BODY_BYTES  # also enforced before the body is read (reference.bodylimit)
M = TypeVar("M", bound=BaseModel)


def _non_blank_recipient(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("recipient must not be empty")
    return value


# The recipient of every send endpoint (phone number, IGSID or PSID), surrounding whitespace removed.
Recipient = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_non_blank_recipient)]


class ApiError(HTTPException):
    """An HTTP error with a ``detail`` (string or structured object)."""

    def __init__(self, status_code: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)


def _clean_errors(errors: Sequence[Mapping[str, Any]], prefix: tuple[str, ...] = ("body",)) -> list[dict[str, Any]]:
    cleaned = []
    for error in errors:
        loc = [*prefix, *[part for part in error.get("loc", ()) if part != "body"]]
        cleaned.append({"loc": loc, "msg": str(error.get("msg", "invalid value")), "type": str(error.get("type", ""))})
    return cleaned


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route serves at ``path`` (each method asked of the router, as a request would be).

    Starlette's 405 names only the methods of the first route whose path matched (``OPTIONS
    /api/v1/channels/{id}`` said ``Allow: GET``, missing PATCH and DELETE: issue 18 row 12; RFC 9110 §15.5.6
    wants the complete list)."""
    allowed = []
    for method in HTTP_METHODS:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "app": app, "headers": [],
                 "query_string": b""}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            methods = allowed_methods(request.app, request.url.path)
            if methods:
                headers["Allow"] = ", ".join(methods)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"detail": _clean_errors(list(exc.errors()), prefix=())}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover - last resort
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "Internal server error"}, status_code=500)


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"Request body too large (max {MAX_BODY_BYTES} bytes)")
    if not raw.strip():
        if required:
            raise ApiError(422, "Request body is required (JSON object)")
        return None
    data = json_read.loads(raw)  # orjson where it reads as the stdlib does (fiwano_conformance/shared/json_read.py)
    if data is not json_read.NOT_READ:
        # orjson refuses lone surrogate escapes, so this walk finds none; kept so the rule has one place
        if b"\\u" in raw and _has_lone_surrogate(data):
            raise ApiError(422, "Request body contains invalid Unicode (lone surrogate escapes)")
        return data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "Request body is not valid UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else (
            "nesting too deep" if isinstance(exc, RecursionError) else str(exc))
        raise ApiError(422, f"Malformed JSON body: {message}") from None
    # a lone surrogate can only come from a \u escape (raw UTF-8 cannot encode one): skip the walk without one
    if "\\u" in text and _has_lone_surrogate(data):
        raise ApiError(422, "Request body contains invalid Unicode (lone surrogate escapes)")
    return data


async def parse_body(request: Request, model: type[M]) -> M:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "Request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, _clean_errors(exc.errors(include_url=False, include_input=False))) from None


@dataclass(frozen=True)
class Caller:
    key: ApiKey
    account: Account


def components(request: Request) -> Any:
    return request.app.state.components


async def require_api_key(request: Request, response: Response) -> Caller:
    """Authenticate X-API-Key (401 otherwise), then count the request against the key's rate limit (429).

    Under profile fiwano-2026-10 the key may also come as ``Authorization: Bearer <key>``; X-API-Key wins when
    both are sent (AUTH-BEARER-X-API-KEY-WINS)."""
    comps = components(request)
    values = request.headers.getlist("x-api-key")
    if v2026.enabled(comps.profile):
        values = v2026.presented_keys(values, request.headers.getlist("authorization"))
    if not values:
        raise ApiError(401, "Missing API key: send it in the X-API-Key header")
    if len(values) != 1:
        raise ApiError(401, "Invalid API key")
    value = values[0].strip()
    key = None
    if looks_like_api_key(value):
        key = comps.api_keys.authenticate(value)
    if key is None:
        raise ApiError(401, "Invalid API key")
    account = comps.accounts.get(key.account_id)
    if account is None:
        raise ApiError(401, "Invalid API key")
    if comps.request_limiter is None:
        decision = comps.rate_limiter.hit(key.id)
        what = "requests per minute"
    else:  # profile fiwano-2026-10: sends and every other operation have limits of their own
        decision, what = v2026.limit_request(comps, request.url.path, key.id)
    if not decision.allowed:
        raise ApiError(429, f"Rate limit exceeded: {decision.limit} {what} per API key. "
                            f"Retry after {decision.retry_after} s.",
                       headers={"Retry-After": str(decision.retry_after),
                                "X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": "0"})
    response.headers["X-RateLimit-Limit"] = str(decision.limit)
    response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    caller = Caller(key=key, account=comps.accounts.effective(account))
    request.state.caller = caller
    return caller
