"""Redaction of everything the reports write (results.json, report.html, junit.xml, repro bundles).

The suites already redact what they attach (suites/redact.py), but the reports are the last line of
defence and may only import the contract (docs/architecture.md §1), so they carry their own redactor:

* patterns: Fiwano API keys (``mip_live_...``), ``Bearer`` tokens, ``X-API-Key``/``Authorization``/
  ``Cookie`` header values, and ``access_token``/``client_secret``/``webhook_secret``/``app_secret``/
  ``api_key``/``token`` parameters in query strings, JSON and YAML;
* known values: every secret of the run's configuration (API keys given with ``--fiwano-api-key`` or
  ``FIWANO_API_KEYS``, userinfo of URLs) is passed in explicitly and replaced wherever it appears.

Signatures (``X-Hub-Signature-256``, ``X-Webhook-Signature``) are kept: they are evidence, not secrets.
"""

from __future__ import annotations

import re
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "<redacted>"

_API_KEY = re.compile(r"mip_live_(?!<redacted>)[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?!<redacted>)[A-Za-z0-9._~+/=\-]+")
_HEADER = re.compile(r"(?im)(\b(?:x-api-key|authorization|cookie|set-cookie)['\"]?\s*[:=]\s*['\"]?)(?!<redacted>)"
                     r"(?:bearer\s+)?([^'\"\s,;\]}]+)")
_PARAM = re.compile(r"(?i)((?<![a-z_])(?:access_token|client_secret|webhook_secret|app_secret|api_key|"
                    r"refresh_token|user_access_token|token|secret)['\"]?\s*[:=]\s*['\"]?)(?!<redacted>)"
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
