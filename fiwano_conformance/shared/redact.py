"""Redaction: what counts as a secret in anything the kit prints, attaches or writes, and how it is masked.

One redactor for every part (before, the suites and the reports each had their own and the patterns drifted):
the suites pass the secrets they learned at run time (suites/redact.py keeps that per-process registry), the
reports pass the secrets of the run's configuration and redact everything again on the way out.

* patterns: Fiwano API keys (``mip_live_...``), ``Bearer`` tokens, ``X-API-Key``/``Authorization``/
  ``Cookie`` header values, and ``access_token``/``client_secret``/``webhook_secret``/``app_secret``/
  ``api_key``/``token`` parameters in query strings, JSON and YAML;
* known values: every secret passed in (API keys minted or configured, access tokens, webhook secrets,
  userinfo of URLs) is replaced wherever it appears.

Signatures (``X-Hub-Signature-256``, ``X-Webhook-Signature``) are kept: they are evidence, not secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "<redacted>"

_API_KEY = re.compile(r"mip_live_(?!<redacted>)[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=\-]+")
_HEADER = re.compile(r"(?im)(\b(?:x-api-key|authorization|cookie|set-cookie)['\"]?\s*[:=]\s*['\"]?)(?!<redacted>)"
                     r"(?:bearer\s+)?([^'\"\s,;\]}]+)")
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "cookie", "set-cookie"})
_PARAM = re.compile(r"(?i)((?<![a-z_])(?:access_token|client_secret|webhook_secret|app_secret|api_key|"
                    r"refresh_token|user_access_token|token|secret)['\"]?\s*[:=]\s*['\"]?)(?!(?:mip_live_)?<redacted>)"
                    r"([^'\"&\s,}\]]+)")
# Keys whose values are secrets in structured data (configuration mappings).
SECRET_KEYS = re.compile(r"(?i)(api_?keys?|secret|token|password|authorization)")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and every secret-looking value masked (idempotent)."""
    if not text:
        return text
    for secret in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _API_KEY.sub("mip_live_" + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _HEADER.sub(lambda m: m.group(1) + ("mip_live_" + MASK if m.group(2).startswith("mip_live_") else MASK),
                       text)
    text = _PARAM.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_headers(headers: Any, secrets: Iterable[str] = ()) -> dict[str, str]:
    """Headers as a plain dict with the secret-bearing ones masked (an API key keeps its ``mip_live_`` prefix,
    so a reader still sees which kind of credential was sent); every other value is :func:`redact`-ed."""
    secrets = list(secrets)
    items = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for name, value in items:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if name.lower() in SECRET_HEADERS:
            shown = value[: len("mip_live_")] + MASK if value.startswith("mip_live_") else MASK
            out[name] = shown if value else value
        else:
            out[name] = redact(value, secrets)
    return out


def strip_userinfo(url: str) -> str:
    """A URL without its user:password part (the credentials of a target are secrets too)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))
    return url


def url_secrets(url: str) -> list[str]:
    """The userinfo parts of a URL, to be masked wherever they appear."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    return [p for p in (parts.username, parts.password) if p]


def redact_mapping(data: Any, secrets: Iterable[str] = ()) -> Any:
    """A deep copy of JSON-like ``data`` where values under secret-named keys are masked, strings redacted."""
    secrets = list(secrets)
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if SECRET_KEYS.search(str(key)) and value not in (None, "", [], ()):
                out[key] = [MASK for _ in value] if isinstance(value, (list, tuple)) else MASK
            else:
                out[key] = redact_mapping(value, secrets)
        return out
    if isinstance(data, (list, tuple)):
        return [redact_mapping(value, secrets) for value in data]
    if isinstance(data, str):
        return redact(strip_userinfo(data) if "://" in data else data, secrets)
    return data
