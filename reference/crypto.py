"""Secrets, identifiers and signatures (small replaceable components)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "mip_live_"


def new_api_key() -> str:
    """``mip_live_`` followed by 43 url-safe characters (256 bits of randomness)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def looks_like_api_key(value: str) -> bool:
    """The cheap format check made before the hash lookup: the prefix, a sane length, ASCII only.

    It reads the same ``API_KEY_PREFIX`` as :func:`new_api_key`, so the prefix is spelled once."""
    return value.startswith(API_KEY_PREFIX) and 20 <= len(value) <= 200 and value.isascii()


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_id(nbytes: int = 8) -> str:
    """Lower-case hex id (16 hex characters by default, like the documented channel ids)."""
    return secrets.token_hex(nbytes)


def new_webhook_secret(hex_chars: int) -> str:
    return secrets.token_hex((hex_chars + 1) // 2)[:hex_chars]


class WebhookSigner:
    """Signs customer webhook bodies: ``sha256=<lower-case hex HMAC-SHA256(secret, body)>``."""

    header = "X-Webhook-Signature"

    def sign(self, body: bytes, secret: str) -> str:
        return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class MetaSignatureVerifier:
    """Checks Meta's ``X-Hub-Signature-256`` over the raw request body with the app secret."""

    def __init__(self, app_secret: str) -> None:
        self._secret = app_secret.encode("utf-8")

    def verify(self, body: bytes, header: str | None) -> bool:
        if not header or not self._secret:
            return False
        scheme, _, received = header.strip().partition("=")
        if scheme.lower() != "sha256" or not received:
            return False
        expected = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, received.strip().lower())
