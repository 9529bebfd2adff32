"""POST /redirects reads body["uri_pattern"] from the raw JSON: a missing uri_pattern is a 500 (KeyError)."""

REQUIREMENTS = ("REDIRECT-URI-REQUIRED",)


def apply() -> None:
    from typing import Any

    from fastapi import Request

    import reference.api.connect as connect
    from reference.api.common import ApiError, components, read_json
    from reference.redirects import RedirectError, validate_pattern

    async def add_redirect(request: Request, caller: connect.CallerDep) -> dict[str, Any]:
        data = await read_json(request)
        try:
            pattern = validate_pattern(data["uri_pattern"])
        except RedirectError as exc:
            raise ApiError(422, str(exc)) from None
        repo = components(request).redirects
        for existing in repo.list_for_key(caller.key.id):
            if existing.uri_pattern == pattern:
                return connect._redirect_view(existing)
        return connect._redirect_view(repo.add(caller.account.id, caller.key.id, pattern))

    for route in connect.api.routes:
        if route.path == "/api/v1/redirects" and "POST" in route.methods:
            route.endpoint = add_redirect
