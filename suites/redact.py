"""Redaction of secrets in everything the suites print, attach or write.

The patterns and the masking are the kit's one redactor (fiwano_conformance/shared/redact.py); what the suites
add is the registry of the secrets they learn at run time (API keys minted through the harness, simulator
access tokens, webhook secrets): each is registered with :func:`register_secret` and replaced by
``<redacted>`` wherever it later appears.

The registry is per process (each xdist worker has its own), which is exactly where its secrets live.
"""

from __future__ import annotations

import threading
from typing import Any

from fiwano_conformance.shared import redact as shared
from fiwano_conformance.shared.redact import MASK

__all__ = ["MASK", "known_secrets", "redact", "redact_headers", "register_secret", "reset_for_tests"]

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
    return shared.redact(text, known_secrets())


def redact_headers(headers: Any) -> dict[str, str]:
    """Headers as a plain dict with the secret-bearing ones masked (signatures are kept: they are evidence)."""
    return shared.redact_headers(headers, known_secrets())


def reset_for_tests() -> None:
    with _lock:
        _secrets.clear()
