"""Small wrappers several mutants share (a module starting with "_" is not a mutant: see catalogue.py).

Each wraps ONE seam of the reference from outside, like a hand-written mutant would; the mutant module
still names its defect and requirements and calls one of these in its ``apply()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.mutants.seams import replace_component


def remap_api_error(module: Any, function: str, from_status: int, to_status: int, detail: str | None = None) -> None:
    """Make ``module.function`` answer ``to_status`` where the reference raises ``from_status``."""
    from reference.api.common import ApiError

    original = getattr(module, function)

    def remapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except ApiError as exc:
            if exc.status_code == from_status:
                raise ApiError(to_status, exc.detail if detail is None else detail) from None
            raise

    replace_component(module, function, remapped)


def rewrite_error_body(status: int, body_of: Callable[[Any], dict[str, Any]]) -> None:
    """Answer HTTP errors of ``status`` with ``body_of(exc)`` instead of the documented ``{"detail": ...}``
    (headers such as Retry-After are kept)."""
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    import reference.api.common

    original = reference.api.common.install_error_handlers

    def install_error_handlers(app: Any) -> None:
        original(app)
        documented = app.exception_handlers[StarletteHTTPException]

        async def http_error(request: Any, exc: Any) -> Any:
            if exc.status_code == status:
                return JSONResponse(body_of(exc), status_code=status, headers=getattr(exc, "headers", None))
            return await documented(request, exc)

        app.exception_handlers[StarletteHTTPException] = http_error

    replace_component(reference.api.common, "install_error_handlers", install_error_handlers)


def limiter_seeing_the_path(limiter_of: Callable[[type, Callable[[], str]], type]) -> None:
    """Replace the reference's rate limiter with ``limiter_of(SlidingWindowRateLimiter, current_path)``.

    The limiter is only given the key; a defect that depends on the route (a limit per route, a route left
    out) needs the request's path, remembered here from the components lookup every handler makes first.
    """
    import reference.api.common as common
    import reference.app
    from reference.ratelimit import SlidingWindowRateLimiter

    path_of: dict[str, str] = {}
    components = common.components

    def remembering(request: Any) -> Any:
        path_of["current"] = request.url.path
        return components(request)

    replace_component(common, "components", remembering)
    replace_component(reference.app, "SlidingWindowRateLimiter",
                      limiter_of(SlidingWindowRateLimiter, lambda: path_of.get("current", "")))
