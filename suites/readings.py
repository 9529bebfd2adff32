"""Readings of the ambiguous rules: accept every reading the docs permit, say which one the target showed.

Where the docs allow several readings of a rule (``readings`` of an entry in contract/requirements.yaml, the
ambiguity register of docs/requirements.md), a suite test must not fail a target for following any of them.
Every such decision goes through this module, so that it is taken the same way everywhere:

* :func:`accepts` checks that what the target did is one of the entry's readings, records it on the test
  (user property ``fiwano_reading`` = ``ID=reading``, shown per entry in results.json and report.html) and
  fails only when the run *pins* another reading: ``readings:`` in the profile, ``--fiwano-reading ID=VALUE``
  (repeatable) or ``FIWANO_READINGS="ID=VALUE,..."``. The default profile pins none.
* the shared helpers below classify one observation each (a validation status, a creation status, a
  timestamp, an error ``detail``, a list body, a Retry-After ...) and call :func:`accepts`.

Unknown response fields and unknown event types never fail a test (the v1 contract only grows:
../shared/research/fiwano-changelog.md); :func:`absent_or_null` is how a test asks "no value" without
caring whether a field is left out or null.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import pytest

from fiwano_conformance.shared.results import READING_PROPERTY
from suites import expect

__all__ = [
    "absent_or_null", "accepts", "bound", "created", "deleted", "error_detail", "exchanged", "list_items",
    "messenger_file",
    "parse_timestamp", "pinned", "register", "retry_after", "setup_started", "timestamp", "timestamp_reading",
    "validation_refused",
]

PROPERTY = READING_PROPERTY
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(?P<tz>Z|[+-]\d{2}:\d{2})?$")
DELAY_SECONDS = re.compile(r"^\d+$")
# an HTTP-date and the Date header it is read against are both whole seconds (RFC 9110 §5.6.7): the delay
# they show can exceed the server's real delay by up to one second each, never more
HTTP_DATE_TOLERANCE_SECONDS = 2.0


@lru_cache(maxsize=1)
def register() -> dict[str, tuple[str, ...]]:
    """The ambiguity register: requirement id -> the ids of the readings the docs permit (requirements.yaml)."""
    from contract import load_requirements

    return {rid: tuple(r["id"] for r in entry["readings"])
            for rid, entry in load_requirements().items() if entry.get("readings")}


class _Scope:
    """The test being run (its user properties) and the readings the run pins."""

    def __init__(self, pins: Mapping[str, str] | None = None, properties: list | None = None) -> None:
        self.pins = dict(pins or {})
        self.properties = properties if properties is not None else []


_scope = _Scope()


@contextmanager
def bound(pins: Mapping[str, str] | None = None, properties: list | None = None) -> Iterator[list]:
    """Run the block as one test: ``pins`` are the pinned readings, recorded readings go to ``properties``."""
    global _scope
    previous, _scope = _scope, _Scope(pins, properties)
    try:
        yield _scope.properties
    finally:
        _scope = previous


def pinned(requirement: str) -> str | None:
    """The reading the run demands for this entry, if any."""
    return _scope.pins.get(requirement)


def run_pins(profile: Mapping[str, Any], configured: Mapping[str, str] | None) -> dict[str, str]:
    """A profile's ``readings`` overridden by the run's own (``--fiwano-reading`` / FIWANO_READINGS / config); a
    reading a profile sets to null is not pinned (it lifts its parent's pin)."""
    pins = {**dict(profile.get("readings") or {}), **dict(configured or {})}
    return {rid: reading for rid, reading in pins.items() if reading is not None}


@pytest.fixture(autouse=True)
def _fiwano_readings_scope(request: pytest.FixtureRequest, fiwano_config: Any, fiwano_profile: Any) -> Iterator[None]:
    """Every suite test records its readings on itself and sees the run's pins."""
    with bound(run_pins(fiwano_profile, getattr(fiwano_config, "readings", None)), request.node.user_properties):
        yield


def accepts(requirement: str, observed: str, *, what: str = "reading followed", seen: Any = None) -> str:
    """``observed`` must be a reading the docs permit for ``requirement``; record it; enforce a pin."""
    permitted = register().get(requirement)
    if permitted is None:
        raise LookupError(f"{requirement} has no readings in contract/requirements.yaml (a bug in the test)")
    shown = observed if seen is None else seen
    expect.check(observed in permitted, requirement, what, f"one of the readings the docs permit "
                 f"({', '.join(permitted)})", shown)
    value = f"{requirement}={observed}"
    if (PROPERTY, value) not in _scope.properties:
        _scope.properties.append((PROPERTY, value))
    demanded = pinned(requirement)
    expect.check(demanded in (None, observed), requirement, f"{what} (reading pinned by the run)",
                 f"the reading {demanded!r}", f"{observed} ({expect._short(shown)})" if seen is not None else observed)
    return observed


# ------------------------------------------------------------------------------------------- statuses


def validation_refused(response: Any, req: str | tuple[str, ...], what: str) -> Any:
    """A validation error: 422 or 400 (ERR-VALIDATION-STATUS), with a ``{"detail": ...}`` body."""
    expect.check(response.status_code in (400, 422), req, f"{what} ({response.request.method} "
                 f"{response.request.url.path})", "a validation error: HTTP 422 or 400", expect.describe(response))
    accepts("ERR-VALIDATION-STATUS", "unprocessable-422" if response.status_code == 422 else "bad-request-400",
            what=what, seen=response.status_code)
    return response


def _ok_or_created(response: Any, entry: str, req: str | tuple[str, ...], what: str) -> Any:
    """200 or 201, both readings of register ``entry``; records which one the target showed."""
    expect.status(response, (200, 201), req, what)
    accepts(entry, "created-201" if response.status_code == 201 else "ok-200", what=what, seen=response.status_code)
    return response


def created(response: Any, req: str | tuple[str, ...], what: str) -> Any:
    """A creation (redirect, template): 201 or 200 (API-CREATE-STATUS)."""
    return _ok_or_created(response, "API-CREATE-STATUS", req, what)


def deleted(response: Any, req: str | tuple[str, ...], what: str) -> Any:
    """A deletion: 200 with JSON or 204 without a body (API-DELETE-STATUS)."""
    expect.status(response, (200, 204), req, what)
    accepts("API-DELETE-STATUS", "no-content-204" if response.status_code == 204 else "ok-200-json", what=what,
            seen=response.status_code)
    return response


def exchanged(response: Any, req: str | tuple[str, ...], what: str) -> Any:
    """A successful exchange-code: 200 as the docs' example, or 201 (a channel was created)."""
    return _ok_or_created(response, "CONNECT-EXCHANGE-OK", req, what)


def setup_started(response: Any, req: str | tuple[str, ...], what: str) -> Any:
    """A setup URL given out: 200 as the docs' example, or 201 (a setup session was created)."""
    return _ok_or_created(response, "CONNECT-SETUP-URL", req, what)


def messenger_file(response: Any, req: str | tuple[str, ...], what: str) -> str:
    """send-media with media_type ``file`` on a Messenger channel: refused as a validation error (the
    send-media table) or accepted (the capability table names Messenger's outbound document "file"); the
    reading of MEDIA-SEND-TYPE-VALUES it shows. The caller checks what an accepted one sent to Meta."""
    if response.status_code in (400, 422):
        validation_refused(response, req, what)
        return accepts("MEDIA-SEND-TYPE-VALUES", "document-only", what=what, seen=response.status_code)
    expect.status(response, (200, 400, 422), req, what)
    return accepts("MEDIA-SEND-TYPE-VALUES", "file-on-messenger", what=what, seen=response.status_code)


# ------------------------------------------------------------------------------------------- bodies


def error_detail(response: Any, req: str | tuple[str, ...], what: str) -> Any:
    """The ``detail`` of an error body: a non-empty string, or (ERR-FORMAT string-or-object) a non-empty
    object or list that explains the error. Records which reading the target showed."""
    body = expect.json_object(response, req, what)
    expect.check("detail" in body, req, what, 'the error format {"detail": ...}', expect.describe(response))
    detail = body["detail"]
    if isinstance(detail, str):
        expect.check(detail.strip(), req, what, '{"detail": "<human-readable description>"} (a non-empty string)',
                     expect.describe(response))
        accepts("ERR-FORMAT", "string-except-text-too-long", what=what, seen=detail)
    else:
        expect.check(isinstance(detail, (dict, list)) and detail, req, what,
                     '{"detail": "<description>"} or a non-empty structured detail', expect.describe(response))
        accepts("ERR-FORMAT", "string-or-object", what=what, seen=detail)
    return detail


def list_items(response: Any, key: str, req: str | tuple[str, ...], what: str,
               requirement: str = "REDIRECT-LIST") -> list[Any]:
    """A list answer: ``{key: [...], ...}`` as the docs' other lists, or a bare JSON array (``requirement``'s
    readings ``object`` / ``bare-array``)."""
    try:
        body = response.json()
    except ValueError:
        expect.fail(req, what, f'{{"{key}": [...]}} or a JSON array', expect.describe(response))
    if isinstance(body, list):
        accepts(requirement, "bare-array", what=what, seen="a JSON array")
        return body
    expect.check(isinstance(body, dict) and isinstance(body.get(key), list), req, what,
                 f'{{"{key}": [...]}} or a JSON array', expect.describe(response))
    accepts(requirement, "object", what=what, seen=f'{{"{key}": [...]}}')
    return body[key]


def absent_or_null(body: Mapping[str, Any], key: str) -> bool:
    """True when ``key`` has no value: left out or null (both are how a JSON API says "not set")."""
    return body.get(key) is None


# ------------------------------------------------------------------------------------------- time


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware datetime; without an offset it is UTC (as the docs' REST examples
    print it: ``2025-01-15T10:30:00``). None when ``value`` is not an ISO-8601 date-time.

    The one parser of the suites: every module reads a REST or webhook time through it.
    """
    if not isinstance(value, str) or not ISO_TIMESTAMP.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def timestamp_reading(value: str) -> str:
    """API-TIMESTAMP-FORMAT reading of a REST timestamp: ``naive-utc`` or ``explicit-offset``."""
    match = ISO_TIMESTAMP.match(value)
    return "explicit-offset" if match and match.group("tz") else "naive-utc"


def timestamp(value: Any, req: str | tuple[str, ...], what: str) -> datetime:
    """A REST timestamp in UTC, with or without an offset (API-TIMESTAMP-FORMAT); recorded and returned."""
    moment = parse_timestamp(value)
    expect.check(moment is not None, req, what, "an ISO-8601 timestamp (YYYY-MM-DDTHH:MM:SS[.f][Z|+00:00])",
                 repr(value))
    assert moment is not None
    expect.check(moment.utcoffset().total_seconds() == 0, req, what, "UTC (no offset, Z or +00:00)", repr(value))
    accepts("API-TIMESTAMP-FORMAT", timestamp_reading(value), what=what, seen=value)
    return moment


def retry_after(response: Any) -> tuple[float, float] | None:
    """(delay in seconds, tolerance) of a Retry-After header: delay-seconds exactly, or an HTTP-date read
    against the answer's Date header with the tolerance of two whole-second clocks. None when absent or
    unreadable. Records RATE-LIMIT-RETRY-AFTER's reading."""
    value = (response.headers.get("Retry-After") or "").strip()
    if DELAY_SECONDS.match(value):
        accepts("RATE-LIMIT-RETRY-AFTER", "delay-seconds", what="Retry-After", seen=value)
        return float(value), 0.0
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
        date = email.utils.parsedate_to_datetime(response.headers["Date"]) if response.headers.get("Date") else None
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    accepts("RATE-LIMIT-RETRY-AFTER", "http-date", what="Retry-After", seen=value)
    if date is None:  # no Date header: the delay is unknown; a client retries at once, which is safe
        return 0.0, HTTP_DATE_TOLERANCE_SECONDS
    return max(0.0, (moment - date).total_seconds()), HTTP_DATE_TOLERANCE_SECONDS


# ------------------------------------------------------------------------------------------- secrets

GENERATED_SECRET_MIN_CHARS = 32
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def generated_secret(shown: Any, hex_chars: int, req: str | tuple[str, ...], what: str) -> str:
    """An auto-generated webhook secret (WEBHOOK-SECRET-FORMAT): ``hex_chars`` hexadecimal characters (the
    profile's number, reading hex-64) or another random secret of at least 32 printable characters."""
    expect.check(isinstance(shown, str) and shown, req, what, "a generated secret (a non-empty string)", repr(shown))
    if len(shown) == hex_chars and _HEX.match(shown):
        return accepts("WEBHOOK-SECRET-FORMAT", "hex-64", what=what, seen=f"{len(shown)} hex characters")
    expect.check(len(shown) >= GENERATED_SECRET_MIN_CHARS and shown.isascii() and shown.isprintable()
                 and not any(c.isspace() for c in shown), req, what,
                 f"{hex_chars} hexadecimal characters, or a random secret of at least "
                 f"{GENERATED_SECRET_MIN_CHARS} printable characters", f"{len(shown)} characters")
    return accepts("WEBHOOK-SECRET-FORMAT", "other-length", what=what, seen=f"{len(shown)} characters")
