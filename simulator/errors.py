"""Meta's Graph error envelope and the one table that maps an error code to an HTTP status.

Meta says to build logic on ``code`` (+ ``error_data.details``), not on the HTTP status, and no longer
publishes per-code statuses; the table below follows the research (meta-facts.md §2.2) and is the only
place to change if a better source appears. WhatsApp Cloud API paths use the WhatsApp column; classic
Graph (Messenger, Instagram, Pages, OAuth) answers almost everything with 400.
"""

from __future__ import annotations

from typing import Any, Literal

from simulator import ids

Surface = Literal["whatsapp", "graph"]

_WHATSAPP_STATUS: dict[int, int] = {
    0: 401, 104: 401, 190: 401,
    3: 403, 10: 403, 368: 403, 130497: 403, 131031: 403,
    4: 429, 80007: 429, 130429: 429, 131048: 429, 131056: 429,
    1: 500, 2: 503, 131000: 500, 131016: 503,
}
_GRAPH_STATUS: dict[int, int] = {1: 500, 2: 503}

# Titles used to build "(#code) Title" messages when a caller gives none.
TITLES: dict[int, str] = {
    1: "An unknown error has occurred.",
    2: "Service temporarily unavailable",
    4: "Application request limit reached",
    10: "Permission denied",
    17: "User request limit reached",
    32: "Page request limit reached",
    100: "Invalid parameter",
    104: "An access token is required to request this resource.",
    190: "Invalid OAuth access token - Cannot parse access token",
    200: "Permissions error",
    368: "Temporarily blocked for policies violations",
    551: "This person isn't available right now.",
    613: "Calls to this api have exceeded the rate limit.",
    80006: "There have been too many messenger api calls to this Page account. Wait a bit and try again.",
    80007: "Rate limit issue",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131051: "Unsupported message type",
    131052: "Media download error",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131057: "Account in maintenance mode",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132012: "Parameter format does not match format in the created template",
    132015: "Template is paused",
}


def http_status(code: int, surface: Surface) -> int:
    table = _WHATSAPP_STATUS if surface == "whatsapp" else _GRAPH_STATUS
    if code in table:
        return table[code]
    if surface == "whatsapp" and 200 <= code <= 299:
        return 403
    return 400


def title(code: int) -> str:
    return TITLES.get(code, "Invalid parameter")


class GraphError(Exception):
    """Raised anywhere in Graph handling; turned into Meta's envelope by the pipeline."""

    def __init__(self, code: int, message: str | None = None, *, subcode: int | None = None,
                 details: str | None = None, error_type: str = "OAuthException", status: int | None = None,
                 error_data: dict[str, Any] | None = None, is_transient: bool | None = None,
                 user_title: str | None = None, user_msg: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else f"(#{code}) {title(code)}"
        self.subcode = subcode
        self.details = details
        self.error_type = error_type
        self.status = status
        self.error_data = error_data
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        super().__init__(self.message)

    def envelope(self, surface: Surface) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        data = dict(self.error_data or {})
        if self.details is not None:
            data.setdefault("details", self.details)
        if data:
            if surface == "whatsapp":
                data = {"messaging_product": "whatsapp", **data}
            error["error_data"] = data
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = ids.fbtrace_id()
        return {"error": error}

    def http_status(self, surface: Surface) -> int:
        return self.status if self.status is not None else http_status(self.code, surface)


def invalid(details: str, *, subcode: int | None = None, message: str | None = None) -> GraphError:
    """Code 100: the request is wrong (missing/ill-typed/over-long parameter)."""
    return GraphError(100, message, subcode=subcode, details=details)


def unknown_object(method: str, object_id: str) -> GraphError:
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method.upper(), method.lower())
    return GraphError(
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        subcode=33, error_type="GraphMethodException",
    )


def webhook_error(code: int, details: str, title_text: str | None = None) -> dict[str, Any]:
    """The *webhook-side* error object (statuses[].errors[], messages[].errors[]) — a different shape."""
    text = title_text or title(code)
    return {"code": code, "title": text, "message": text, "error_data": {"details": details},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}
