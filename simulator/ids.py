"""Identifier and token factories that look like Meta's.

Numeric ids are digit strings built from one process-wide counter with a random start, so they never
collide across worlds (or across simulator restarts, in practice); tokens are random, hence unique.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading

_lock = threading.Lock()
_counter = itertools.count(secrets.randbelow(10**9) * 1000)


def _next() -> int:
    with _lock:
        return next(_counter)


def numeric_id(prefix: str, width: int = 15) -> str:
    """A digit string of ``width`` digits starting with ``prefix`` (e.g. ``1065…`` for phone numbers)."""
    body_width = width - len(prefix)
    return f"{prefix}{_next() % 10**body_width:0{body_width}d}"


def phone_number_id() -> str:
    return numeric_id("10", 15)


def waba_id() -> str:
    return numeric_id("20", 15)


def page_id() -> str:
    return numeric_id("30", 15)


def ig_account_id() -> str:
    return numeric_id("17841", 17)


def app_scoped_user_id() -> str:
    """PSID / IGSID shape: 16 digits."""
    return numeric_id("7", 16)


def media_id() -> str:
    return numeric_id("9", 16)


def template_id() -> str:
    return numeric_id("8", 16)


def display_number() -> str:
    """A fictional NANP 555 number, digits only (as in webhook metadata)."""
    return numeric_id("1555", 11)


def access_token() -> str:
    return "EAAS" + secrets.token_urlsafe(48).replace("-", "A").replace("_", "B")


def world_id() -> str:
    return "w_" + secrets.token_hex(8)


def wamid(recipient_digits: str) -> str:
    raw = b"\x15\x02\x00\x11\x18\x12" + recipient_digits.encode() + b"\x00" + secrets.token_hex(9).upper().encode()
    return "wamid." + base64.b64encode(raw).decode()


def messenger_mid() -> str:
    return "m_" + secrets.token_urlsafe(64)


def instagram_mid(ig_id: str) -> str:
    raw = f"ig_message_item:1:IGMessageData:{ig_id}:{_next()}{secrets.token_hex(8)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def fbtrace_id() -> str:
    return secrets.token_urlsafe(9)
