"""The channel in the path is looked up before the API key is checked: an unknown channel id is 404 without a key."""

REQUIREMENTS = ("AUTH-BEFORE-LOOKUP",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from fastapi import Request, Response

    import reference.app
    from reference.api.common import ApiError, components, require_api_key

    original = reference.app.create_app

    async def lookup_then_auth(request: Request, response: Response):
        channel_id = request.path_params.get("channel_id")
        if channel_id is not None and components(request).channels.get(channel_id) is None:
            raise ApiError(404, "Channel not found")
        return await require_api_key(request, response)

    def create_app(*args, **kwargs):
        app = original(*args, **kwargs)
        app.dependency_overrides[require_api_key] = lookup_then_auth
        return app

    replace_component(reference.app, "create_app", create_app)
