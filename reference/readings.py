"""The reference's reading of each ambiguity of the docs, and the documented alternatives it can follow instead.

The reference keeps one reading per entry of the ambiguity register (``readings`` in
contract/requirements.yaml, docs/requirements.md). Where the docs allow another one, the setting
``readings`` (env ``FIWANO_REF_READINGS="ERR-VALIDATION-STATUS=bad-request-400,API-CREATE-STATUS=ok-200"``)
switches the reference to it. These are not defect switches: every alternative is a reading the register
lists as permitted, so the suites must pass against the reference in any combination of them (the
self-test ``tests/selftest/test_alternative_readings.py`` runs them all at once). ``extra_fields`` (env
``FIWANO_REF_EXTRA_FIELDS``) adds fields the docs do not name to responses and webhooks, as a later, additive
version of Fiwano does (../shared/research/fiwano-changelog.md); a v1 client must ignore them.

REST answers are rewritten in one place, :class:`ReadingsMiddleware`, so the endpoints keep their one shape;
the webhook and send-side readings are read where the behaviour lives (``components.readings``).
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from typing import Any

# requirement id -> (the reference's reading, the alternatives it can be switched to)
READINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ERR-VALIDATION-STATUS": ("unprocessable-422", ("bad-request-400",)),
    "ERR-FORMAT": ("string-except-text-too-long", ("string-or-object",)),
    "API-CREATE-STATUS": ("created-201", ("ok-200",)),
    "API-DELETE-STATUS": ("ok-200-json", ("no-content-204",)),
    "API-TIMESTAMP-FORMAT": ("explicit-offset", ("naive-utc",)),
    "CONNECT-SETUP-URL": ("ok-200", ("created-201",)),
    "CONNECT-EXCHANGE-OK": ("ok-200", ("created-201",)),
    "REDIRECT-LIST": ("object", ("bare-array",)),
    "CHANNEL-FIELDS-PER-TYPE": ("omitted", ("null",)),
    "WEBHOOK-EVENTS-PER-CHANNEL": ("ignored", ("rejected",)),
    "WEBHOOK-SECRET-FORMAT": ("hex-64", ("other-length",)),
    "RATE-LIMIT-RETRY-AFTER": ("delay-seconds", ("http-date",)),
    "MEDIA-MAX-SIZE": ("decimal-10000000", ("binary-10485760",)),
    "TPL-SEND-APPROVED-ONLY": ("client-error", ("failed-result",)),
    "RELAY-MEDIA-KIND": ("file-as-document", ("file-kind",)),
    "SEND-RETRY-EXHAUSTED-OUTCOME": ("failed-webhook", ("notice-only",)),
}
# the length of a generated webhook secret under the other-length reading (hex characters)
OTHER_SECRET_HEX_CHARS = 40
# identifiers of each channel type; under CHANNEL-FIELDS-PER-TYPE=null the others are shown as null
TYPE_FIELDS = ("phone_number_id", "phone_number", "waba_id", "ig_account_id", "ig_username", "page_id")
EXTRA_FIELD = "x_reference_build"
_TIMESTAMP_KEYS = ("connected_at", "token_expires_at", "expires_at")
_ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def parse_setting(value: Any) -> dict[str, str]:
    """``"ID=VALUE,ID=VALUE"``, a JSON object or a mapping -> {requirement id: reading}, checked."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            value = json.loads(text)
        else:
            pairs = [part.strip() for part in text.split(",") if part.strip()]
            value = {}
            for pair in pairs:
                rid, sep, reading = pair.partition("=")
                if not sep:
                    raise ValueError(f"readings: expected ID=VALUE, got {pair!r}")
                value[rid.strip()] = reading.strip()
    if not isinstance(value, dict):
        raise ValueError("readings: expected ID=VALUE pairs or a mapping")
    for rid, reading in value.items():
        if rid not in READINGS:
            raise ValueError(f"readings: the reference has no switchable reading for {rid!r}; known: {sorted(READINGS)}")
        own, others = READINGS[rid]
        if reading not in (own, *others):
            raise ValueError(f"readings: {rid} can be {own!r} or {', '.join(map(repr, others))}, not {reading!r}")
    return {str(k): str(v) for k, v in value.items()}


class Readings:
    """The readings one reference instance follows (its own unless the setting chose another)."""

    def __init__(self, chosen: dict[str, str] | None = None, *, extra_fields: bool = False) -> None:
        self.chosen = {rid: own for rid, (own, _) in READINGS.items()}
        self.chosen.update(chosen or {})
        self.extra_fields = extra_fields

    def __getitem__(self, requirement: str) -> str:
        return self.chosen[requirement]

    def follows(self, requirement: str, reading: str) -> bool:
        return self.chosen.get(requirement) == reading

    @property
    def rewrites_rest(self) -> bool:
        """True when some REST answer differs from the reference's own shape (the middleware is needed)."""
        rest = ("ERR-VALIDATION-STATUS", "ERR-FORMAT", "API-CREATE-STATUS", "API-DELETE-STATUS",
                "API-TIMESTAMP-FORMAT", "CONNECT-SETUP-URL", "CONNECT-EXCHANGE-OK", "REDIRECT-LIST", "CHANNEL-FIELDS-PER-TYPE",
                "RATE-LIMIT-RETRY-AFTER")
        return self.extra_fields or any(self.chosen[rid] != READINGS[rid][0] for rid in rest)


# ------------------------------------------------------------------------------------------- REST answers


def _channel_like(body: Any) -> bool:
    return isinstance(body, dict) and "channel_type" in body and ("id" in body or "channel_id" in body)


def _rewrite_body(readings: Readings, method: str, path: str, status: int, body: Any) -> Any:
    if isinstance(body, dict) and "detail" in body and status >= 400:
        if readings.follows("ERR-FORMAT", "string-or-object") and isinstance(body["detail"], str):
            body["detail"] = {"code": f"http_{status}", "message": body["detail"]}
        return body
    if readings.follows("API-TIMESTAMP-FORMAT", "naive-utc"):
        _strip_offsets(body)
    if readings.follows("CHANNEL-FIELDS-PER-TYPE", "null"):
        for view in _channel_views(body):
            for key in TYPE_FIELDS:
                view.setdefault(key, None)
    if readings.extra_fields and isinstance(body, dict):
        body[EXTRA_FIELD] = "v1+additive"
        for view in _channel_views(body):
            view["health"] = {"status": "ok", "reason": None, "since": None}
    if method == "GET" and path.rstrip("/") == "/api/v1/redirects" and readings.follows("REDIRECT-LIST", "bare-array"):
        if isinstance(body, dict) and isinstance(body.get("redirects"), list):
            return body["redirects"]
    return body


def _channel_views(body: Any) -> list[dict[str, Any]]:
    if _channel_like(body):
        return [body]
    if isinstance(body, dict) and isinstance(body.get("channels"), list):
        return [c for c in body["channels"] if _channel_like(c)]
    return []


def _strip_offsets(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _TIMESTAMP_KEYS and isinstance(value, str) and _ISO_Z.match(value):
                node[key] = value[:-1]
            else:
                _strip_offsets(value)
    elif isinstance(node, list):
        for value in node:
            _strip_offsets(value)


def _rewrite_status(readings: Readings, method: str, path: str, status: int) -> int:
    path = path.rstrip("/")
    if status == 422 and readings.follows("ERR-VALIDATION-STATUS", "bad-request-400"):
        return 400
    if method == "POST" and status == 201 and readings.follows("API-CREATE-STATUS", "ok-200"):
        return 200
    if (method, path, status) == ("POST", "/api/v1/channels/exchange-code", 200) \
            and readings.follows("CONNECT-EXCHANGE-OK", "created-201"):
        return 201
    if (method, path, status) == ("POST", "/api/v1/channels/setup-url", 200) \
            and readings.follows("CONNECT-SETUP-URL", "created-201"):
        return 201
    if method == "DELETE" and status == 200 and readings.follows("API-DELETE-STATUS", "no-content-204"):
        return 204
    return status


class ReadingsMiddleware:
    """ASGI middleware: answers of ``/api/v1`` in the chosen readings (status, body shape, Retry-After)."""

    def __init__(self, app: Any, readings: Readings) -> None:
        self.app = app
        self.readings = readings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/v1"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._answer(method, path, start, b"".join(chunks), send)
                return
            await send(message)

        await self.app(scope, receive, capture)

    async def _answer(self, method: str, path: str, start: dict[str, Any], body: bytes, send: Any) -> None:
        headers = [(k, v) for k, v in start.get("headers", [])]
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        status = int(start["status"])
        if b"json" in content_type and body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if parsed is not None:
                body = json.dumps(_rewrite_body(self.readings, method, path, status, parsed),
                                  ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        status = _rewrite_status(self.readings, method, path, status)
        if status == 204:
            body = b""
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
        if status == 429 and self.readings.follows("RATE-LIMIT-RETRY-AFTER", "http-date"):
            headers = self._http_date_retry_after(headers)
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _http_date_retry_after(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Retry-After as an HTTP-date (RFC 9110 §10.2.3) instead of delay-seconds."""
        out, delay = [], None
        for key, value in headers:
            if key.lower() == b"retry-after" and value.strip().isdigit():
                delay = int(value)
                continue
            out.append((key, value))
        if delay is None:
            return headers
        # rounded up: a client that waits until this second never comes back early (the server adds Date)
        out.append((b"retry-after", email.utils.formatdate(math.ceil(time.time() + delay), usegmt=True).encode()))
        return out
