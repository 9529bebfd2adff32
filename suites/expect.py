"""Assertion helpers whose failure text names the requirement, what was expected and what was seen.

Every message has the shape ``[REQ-ID] <what>: expected <expected>; saw <seen>`` so that a report line is
enough to know which rule broke and how (the style of schemathesis' documented check failures).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import httpx

SIGNATURE_FORMAT = re.compile(r"^sha256=[0-9a-f]{64}$")
UUID_FORMAT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _short(value: Any, limit: int = 600) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def fail(req: str | tuple[str, ...], what: str, expected: Any, seen: Any) -> None:
    reqs = req if isinstance(req, str) else ", ".join(req)
    raise AssertionError(f"[{reqs}] {what}: expected {expected}; saw {_short(seen) if not isinstance(seen, str) else seen}")


def check(condition: Any, req: str | tuple[str, ...], what: str, expected: Any, seen: Any) -> None:
    if not condition:
        fail(req, what, expected, seen)


def describe(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {_short(response.text)}"


def status(response: httpx.Response, expected: int | tuple[int, ...], req: str | tuple[str, ...], what: str) -> httpx.Response:
    allowed = (expected,) if isinstance(expected, int) else expected
    check(response.status_code in allowed, req, f"{what} ({response.request.method} {response.request.url.path})",
          f"HTTP {' or '.join(map(str, allowed))}", describe(response))
    return response


def json_object(response: httpx.Response, req: str | tuple[str, ...], what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        fail(req, what, "a JSON object body", describe(response))
    check(isinstance(body, dict), req, what, "a JSON object body", describe(response))
    return body


def error_detail(response: httpx.Response, req: str | tuple[str, ...], what: str, string: bool = True) -> Any:
    """The ``detail`` of a documented error body ``{"detail": ...}``.

    With ``string`` (the default) the detail must explain the error: a non-empty string, or a non-empty
    structured detail, both readings of ERR-FORMAT (suites/readings.py records which one the target showed).
    """
    if string:
        from suites.readings import error_detail as explained

        return explained(response, req, what)
    body = json_object(response, req, what)
    check("detail" in body, req, what, 'the error format {"detail": ...}', describe(response))
    return body["detail"]


def webhook_signature(secret: str, body: bytes) -> str:
    """What X-Webhook-Signature must be: ``sha256=`` + lower-case hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def conforms(response: httpx.Response, req: str | tuple[str, ...]) -> httpx.Response:
    """The answer matches contract/openapi.yaml for its operation and status (suites/contract_checks.py)."""
    try:
        from suites.contract_checks import check_response
    except ImportError:  # the contract checks are optional for a stripped-down kit
        return response
    try:
        check_response(response)
    except AssertionError as exc:
        reqs = req if isinstance(req, str) else ", ".join(req)
        raise AssertionError(f"[{reqs}] {exc}") from None
    return response


def webhook_conforms(body: bytes | str | dict, req: str | tuple[str, ...], event: str | None = None) -> None:
    """The webhook body matches contract/webhooks/<event>.schema.json (suites/contract_checks.py)."""
    try:
        from suites.contract_checks import check_webhook
    except ImportError:
        return
    try:
        check_webhook(body, event=event)
    except AssertionError as exc:
        reqs = req if isinstance(req, str) else ", ".join(req)
        raise AssertionError(f"[{reqs}] {exc}") from None
