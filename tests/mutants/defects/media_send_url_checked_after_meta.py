"""Validates media_url only after the first send attempt: refused URLs have already been handed to Meta.

The URL check moved from the request handler into the send service, behind the first attempt; the caller
still gets 422, but Meta was already asked to fetch the unsafe link.
"""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-VALIDATED-BEFORE-META",)


def _link(meta_request):
    kind = meta_request.get("type")
    if isinstance(meta_request.get(kind), dict):
        return meta_request[kind].get("link")
    return ((meta_request.get("message") or {}).get("attachment") or {}).get("payload", {}).get("url")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    import reference.app
    from reference.api.common import ApiError
    from reference.sending import SendService
    from reference.urls import UnsafeURL, check_https_url

    class ValidateAfterSend(SendService):
        async def send(self, *, kind, meta_request, **kwargs):
            answer = await super().send(kind=kind, meta_request=meta_request, **kwargs)
            if kind == "media":
                try:
                    check_https_url(_link(meta_request), max_length=2048, field="media_url")
                except UnsafeURL as exc:
                    raise ApiError(422, str(exc)) from None
            return answer

    replace_component(reference.api.v1, "check_https_url", lambda url, **kwargs: url)
    replace_component(reference.app, "SendService", ValidateAfterSend)
