"""401 answers carry {"error": "unauthorized", "message": ...} instead of the documented {"detail": "..."}."""

from __future__ import annotations

REQUIREMENTS = ("AUTH-401-BODY",)


def apply() -> None:
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    import reference.api.common

    original = reference.api.common.install_error_handlers

    def install_error_handlers(app) -> None:
        original(app)
        documented = app.exception_handlers[StarletteHTTPException]

        async def http_error(request, exc):
            if exc.status_code == 401:
                return JSONResponse({"error": "unauthorized", "message": exc.detail}, status_code=401,
                                    headers=getattr(exc, "headers", None))
            return await documented(request, exc)

        app.exception_handlers[StarletteHTTPException] = http_error

    reference.api.common.install_error_handlers = install_error_handlers
