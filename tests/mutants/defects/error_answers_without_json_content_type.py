"""Error answers are json.dumps'ed into a bare Response: the body is JSON but Content-Type is not application/json."""

from __future__ import annotations

REQUIREMENTS = ("API-JSON",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import json

    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.responses import Response

    import reference.api.common

    original = reference.api.common.install_error_handlers

    def install_error_handlers(app) -> None:
        original(app)

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request, exc):
            return Response(json.dumps({"detail": exc.detail}), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    replace_component(reference.api.common, "install_error_handlers", install_error_handlers)
