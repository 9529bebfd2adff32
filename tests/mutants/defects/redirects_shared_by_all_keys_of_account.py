"""setup-url accepts a redirect_uri registered under any API key of the account, not only the calling key."""

# no "from __future__ import annotations": FastAPI must see the endpoint's real annotations
REQUIREMENTS = ("CONNECT-SETUP-REDIRECT-PER-KEY",)


def apply() -> None:
    from typing import Any

    from fastapi import Request

    import reference.api.connect as connect
    from reference.api.common import ApiError, components, parse_body
    from reference.clock import iso
    from reference.redirects import RedirectError, matches, validate_uri

    async def setup_url(request: Request, caller: connect.CallerDep) -> dict[str, Any]:
        comps = components(request)
        body = await parse_body(request, connect.SetupUrlRequest)
        try:
            validate_uri(body.redirect_uri)
        except RedirectError as exc:
            raise ApiError(400, str(exc)) from None
        rows = comps.redirects.db.all("SELECT uri_pattern FROM redirects WHERE account_id = ?", (caller.account.id,))
        if not any(matches(r["uri_pattern"], body.redirect_uri) for r in rows):  # the account's, not the key's
            raise ApiError(400, "redirect_uri is not in the allowed redirect URIs of this account")
        session = comps.setup.create_session(caller.account.id, caller.key.id, body.channel_type, body.redirect_uri,
                                             comps.profile["setup_url_ttl_seconds"])
        return {"setup_url": f"{comps.oauth.public_url}/setup/start?session={session.id}",
                "session_id": session.id, "expires_at": iso(session.expires_at)}

    for route in connect.api.routes:
        if route.path == "/api/v1/channels/setup-url" and "POST" in route.methods:
            route.endpoint = setup_url  # app.include_router builds the route from route.endpoint
