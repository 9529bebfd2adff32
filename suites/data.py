"""Test data the suites generate: user ids per channel, texts, and the event names per channel type.

Everything random comes from the ``rng`` fixture (seeded from ``--fiwano-seed`` and the test id).
"""

from __future__ import annotations

import random

from contract import CHANNEL_TYPES
from suites.enumerations import EVENT_NAMES, EVENTS_BY_CHANNEL

# Incoming Webhooks / Event Types of fiwano-api.md: the events each channel type accepts, read from the
# contract's EventName enum and the Channel schema's per-type narrowing (suites/enumerations.py).
ALL_EVENTS: tuple[str, ...] = EVENT_NAMES

assert set(EVENTS_BY_CHANNEL) == set(CHANNEL_TYPES)


def invalid_events(channel_type: str) -> list[str]:
    """Event names a channel of this type must not accept: other types' events and made-up names."""
    return [e for e in ALL_EVENTS if e not in EVENTS_BY_CHANNEL[channel_type]] + ["message.bogus"]


def user_id(channel_type: str, rng: random.Random) -> str:
    """A Meta user id as the channel shows it: a phone number without + (WhatsApp), an IGSID/PSID otherwise."""
    if channel_type == "whatsapp":
        return "1555" + "".join(rng.choice("0123456789") for _ in range(7))
    return rng.choice("123456789") + "".join(rng.choice("0123456789") for _ in range(15))


def secret(rng: random.Random, length: int = 40) -> str:
    """A webhook secret (16..64 characters is the documented range)."""
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(length))


def ascii_text(length: int, rng: random.Random) -> str:
    """``length`` ASCII letters: one character per code point, UTF-16 unit and byte, so every unit agrees."""
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length))


def unicode_text(rng: random.Random) -> str:
    """A short text with accents, Cyrillic, CJK, RTL Arabic, an emoji with a skin tone, a quote and a backslash:
    whatever JSON escaping the target uses, signatures must cover the bytes actually sent."""
    return f'Olá ✓ Привет 你好 مرحبا 👋🏽 "quoted" back\\slash #{rng.randrange(10**6)}'
