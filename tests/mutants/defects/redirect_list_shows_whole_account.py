"""GET /redirects lists the redirects of every key of the account, not only those of the calling API key."""

REQUIREMENTS = ("REDIRECT-LIST",)


def apply() -> None:
    from typing import Any

    from fastapi import Request

    import reference.api.connect as connect
    from reference.api.common import components

    async def list_redirects(request: Request, caller: connect.CallerDep) -> dict[str, Any]:
        rows = components(request).redirects.db.all(
            "SELECT id, uri_pattern FROM redirects WHERE account_id = ? ORDER BY created_at, id", (caller.account.id,))
        items = [{"id": r["id"], "uri_pattern": r["uri_pattern"]} for r in rows]
        return {"redirects": items, "total": len(items)}

    for route in connect.api.routes:
        if route.path == "/api/v1/redirects" and "GET" in route.methods:
            route.endpoint = list_redirects  # app.include_router builds the route from route.endpoint
