"""Identifier and token factories that look like Meta's.

Numeric ids are digit strings built from one process-wide counter with a random start, so they never
collide across worlds (or across simulator restarts, in practice); tokens are random, hence unique.

Scale-out (``fiwano-conformance simulator --workers N``, docs/scaling.md): every identifier a request can be
routed by carries its owner's tag, the instance number in ``width`` digits, so that a router sends the request
to the one process holding the world: numeric ids END with the tag (``…{tag}``), tokens start ``EAAS{tag}``,
world ids ``w_{tag}_``, OAuth codes ``AQ{tag}``, CDN keys ``{tag}…``. A lone simulator has the empty tag and
mints exactly the shapes it always did. ``simulator.routing`` builds the router's rules from the same grammar.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import os
import secrets
import threading

_lock = threading.Lock()
_counter = itertools.count(secrets.randbelow(10**9) * 1000)
_owner = ""  # this process's owner tag: "" for a lone simulator, the instance number in tag_width() digits


def tag_width(instances: int) -> int:
    """Digits of an owner tag for ``instances`` simulator processes (1 up to 10 instances, 2 up to 100)."""
    if not 1 <= instances <= 100:
        raise ValueError(f"a simulator can be split into 1 to 100 instances, not {instances}")
    return 1 if instances <= 10 else 2


def owner_tag(instance: int, instances: int) -> str:
    """The tag minted into every routable id of ``instance`` (0-based) of ``instances``; "" when alone."""
    if instances <= 1:
        return ""
    if not 0 <= instance < instances:
        raise ValueError(f"instance {instance} is not one of 0..{instances - 1}")
    return f"{instance:0{tag_width(instances)}d}"


def set_owner(instance: int, instances: int) -> None:
    """Make this process mint ids tagged for ``instance`` of ``instances`` (the app does it at start)."""
    global _owner
    _owner = owner_tag(instance, instances)


def owner() -> str:
    return _owner


def _next() -> int:
    with _lock:
        return next(_counter)


def numeric_id(prefix: str, width: int = 15) -> str:
    """A digit string of ``width`` digits starting with ``prefix`` (e.g. ``1065…`` for phone numbers)."""
    body_width = width - len(prefix) - len(_owner)
    return f"{prefix}{_next() % 10**body_width:0{body_width}d}{_owner}"


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
    return "EAAS" + _owner + secrets.token_urlsafe(48).replace("-", "A").replace("_", "B")


def world_id() -> str:
    return f"w_{_owner}_{secrets.token_hex(8)}" if _owner else "w_" + secrets.token_hex(8)


def oauth_code() -> str:
    """A single-use code of Meta's login dialog (``AQ`` + 128 URL-safe characters, as Meta's look)."""
    return "AQ" + _owner + secrets.token_urlsafe(96)


def cdn_key() -> str:
    """The key of a CDN file URL (``/cdn/{key}``) of a Messenger/Instagram attachment."""
    return _owner + secrets.token_urlsafe(16)


# Random bytes for the ids minted on every Graph answer (trace ids, wamids), read from the OS in blocks of
# _POOL_SIZE: the same source as ``secrets`` (os.urandom), one system call per ~200 answers instead of two or
# three per answer (docs/benchmarks.md, issue 17). Tokens and OAuth codes keep ``secrets`` itself.
_POOL_SIZE = 4096
_pool = b""
_pool_at = 0
_pool_lock = threading.Lock()


def random_bytes(n: int) -> bytes:
    """``n`` (<= _POOL_SIZE) bytes from os.urandom, taken from a block read ahead."""
    global _pool, _pool_at
    with _pool_lock:
        if _pool_at + n > len(_pool):
            _pool, _pool_at = os.urandom(_POOL_SIZE), 0
        start = _pool_at
        _pool_at = start + n
        return _pool[start:start + n]


def _forget_pool() -> None:  # a forked child must not mint the bytes its parent already read
    global _pool, _pool_at, _traces, _traces_at
    _pool, _pool_at, _traces, _traces_at = b"", 0, b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def wamid(recipient_digits: str) -> str:
    raw = b"\x15\x02\x00\x11\x18\x12" + recipient_digits.encode() + b"\x00" + random_bytes(9).hex().upper().encode()
    return "wamid." + binascii.b2a_base64(raw, newline=False).decode()  # base64.b64encode, without its wrapper


def messenger_mid() -> str:
    return "m_" + secrets.token_urlsafe(64)


def instagram_mid(ig_id: str) -> str:
    raw = f"ig_message_item:1:IGMessageData:{ig_id}:{_next()}{secrets.token_hex(8)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_TRACE_BATCH = 256
_traces = b""
_traces_at = 0


def fbtrace_id_bytes() -> bytes:
    """``secrets.token_urlsafe(9)``'s shape (12 URL-safe characters) as ASCII bytes, for a header.

    Every answer carries two; they are cut from one base64 text of 256 x 9 random bytes (9 bytes are exactly
    12 base64 characters, so each cut is the encoding of its own 9 bytes)."""
    global _traces, _traces_at
    with _pool_lock:
        if _traces_at >= len(_traces):
            _traces, _traces_at = base64.urlsafe_b64encode(os.urandom(9 * _TRACE_BATCH)), 0
        start = _traces_at
        _traces_at = start + 12
        return _traces[start:start + 12]


def fbtrace_id() -> str:
    return fbtrace_id_bytes().decode("ascii")


def fbtrace_id_pair() -> tuple[bytes, bytes]:
    """Two ``fbtrace_id_bytes()`` (an answer's trace id and request id) in one step: two cuts of 12 characters,
    each the encoding of its own 9 random bytes."""
    global _traces, _traces_at
    with _pool_lock:
        if _traces_at + 24 > len(_traces):
            _traces, _traces_at = base64.urlsafe_b64encode(os.urandom(9 * _TRACE_BATCH)), 0
        start = _traces_at
        _traces_at = start + 24
        return _traces[start:start + 12], _traces[start + 12:start + 24]
