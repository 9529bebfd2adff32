"""A request without X-API-Key is answered 403 "Not authenticated" (APIKeyHeader style) instead of 401."""

REQUIREMENTS = ("AUTH-KEY-REQUIRED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from fastapi import Request, Response

    import reference.app
    from reference.api.common import ApiError, require_api_key

    original = reference.app.create_app

    async def forbidding_auth(request: Request, response: Response):
        if not request.headers.getlist("x-api-key"):
            raise ApiError(403, "Not authenticated")
        return await require_api_key(request, response)

    def create_app(*args, **kwargs):
        app = original(*args, **kwargs)
        app.dependency_overrides[require_api_key] = forbidding_auth
        return app

    replace_component(reference.app, "create_app", create_app)
