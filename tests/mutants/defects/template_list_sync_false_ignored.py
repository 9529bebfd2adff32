"""Reads ?sync as a truthy string: sync=false still fetches the templates from Meta."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIST-SYNC-FALSE",)


async def list_templates(channel_id, request, caller):
    # the reference handler with `if sync_param:` for `if sync_param in ("true", "1"):`
    comps = components(request)  # noqa: F821
    sync_param = request.query_params.get("sync", "true").lower()
    if sync_param not in ("true", "false", "1", "0"):
        raise ApiError(422, "sync must be true or false")  # noqa: F821
    status = request.query_params.get("status")
    if status is not None and status.upper() not in STATUS_FILTERS:  # noqa: F821
        raise ApiError(422, f"status must be one of {', '.join(STATUS_FILTERS)}")  # noqa: F821
    channel = template_channel(request, caller, channel_id)  # noqa: F821
    if sync_param:
        try:
            await comps.templates.sync(channel)
        except TemplateError as exc:  # noqa: F821
            _raise(exc)  # noqa: F821
    items = [t.view() for t in comps.templates.list_local(channel.id, status.upper() if status else None)]
    return {"templates": items, "total": len(items)}


def apply() -> None:
    import reference.api.templates

    # swap the body of the registered handler (the router keeps the same function object)
    reference.api.templates.list_templates.__code__ = list_templates.__code__
