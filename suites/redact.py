"""Redaction of secrets in everything the suites print, attach or write.

Two mechanisms, both always on:

* patterns: anything that looks like a Fiwano API key (``mip_live_...``) is shortened to
  ``mip_live_…<redacted>``; header values of ``X-API-Key``, ``Authorization`` and the
  ``access_token`` query/form parameter are masked;
* registered secrets: every secret the suites learn at run time (API keys minted through the harness,
  simulator access tokens, webhook secrets) is registered here with :func:`register_secret` and
  replaced by ``<redacted>`` wherever it appears.

The registry is per process (each xdist worker has its own), which is exactly where its secrets live.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "<redacted>"

_API_KEY = re.compile(r"mip_live_[A-Za-z0-9_\-]+")
_TOKEN_PARAM = re.compile(r"(?i)((?<![a-z_])(?:access_token|client_secret|webhook_secret|app_secret)['\"]?\s*[:=]\s*['\"]?)([^'\"&\s,}]+)")

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: Any) -> None:
    """Remember a secret so that it is masked wherever it later appears (short values are ignored)."""
    if value is None:
        return
    text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    if len(text) >= 6:
        with _lock:
            _secrets.add(text)


def known_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every secret-looking value masked."""
    if not text:
        return text
    for secret in sorted(known_secrets(), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _API_KEY.sub(lambda m: "mip_live_" + MASK if m.group(0) != "mip_live_" else m.group(0), text)
    text = _TOKEN_PARAM.sub(lambda m: m.group(1) + MASK, text)
    return text


def redact_headers(headers: Any) -> dict[str, str]:
    """Headers as a plain dict with the secret-bearing ones masked (signatures are kept: they are evidence)."""
    items = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for name, value in items:
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        lower = name.lower()
        if lower in {"x-api-key", "authorization", "cookie", "set-cookie"}:
            shown = value[: len("mip_live_")] + MASK if value.startswith("mip_live_") else MASK
            out[name] = shown if value else value
        else:
            out[name] = redact(value)
    return out


def reset_for_tests() -> None:
    with _lock:
        _secrets.clear()
