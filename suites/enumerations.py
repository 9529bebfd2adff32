"""The cases of per-case rules, read from the contract instead of written by hand.

A rule that holds "per channel / event / media type / template status / subscription state" must be
checked on every case; a hand list in a test forgets the case added later. Suites parametrize from here,
and everything here comes from ``contract/openapi.yaml`` (enums of its schemas), the webhook JSON Schemas
(``contract/webhooks/``) or the profile, so a new enum value gets its tests without editing a suite.

Only contract data is read (the suites stay black boxes: nothing from reference/ or simulator/).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from contract import WEBHOOKS_DIR, load_openapi


def _schema(name: str) -> dict[str, Any]:
    return load_openapi()["components"]["schemas"][name]


def _values(enum: list[Any]) -> tuple[str, ...]:
    """An enum's values without ``null`` (a nullable enum lists None for "unset")."""
    return tuple(value for value in enum if value is not None)


@lru_cache(maxsize=None)
def _webhook_schema(name: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------- channels, events

CHANNEL_TYPES: tuple[str, ...] = _values(_schema("ChannelType")["enum"])
# the event types of v1: an open set in the contract (later versions add types), so listed as x-fiwano-v1-values
EVENT_NAMES: tuple[str, ...] = _values(_schema("EventName").get("enum") or _schema("EventName")["x-fiwano-v1-values"])


def _events_by_channel() -> dict[str, tuple[str, ...]]:
    """The events a channel of each type accepts: every EventName, narrowed by the Channel schema's
    ``if channel_type in [...] then webhook_events.items.enum [...]`` (or ``items.not.enum``) clauses."""
    narrowed: dict[str, tuple[str, ...]] = {}
    for clause in _schema("Channel").get("allOf", []):
        types = ((clause.get("if") or {}).get("properties") or {}).get("channel_type", {})
        items = (((clause.get("then") or {}).get("properties") or {}).get("webhook_events") or {}).get("items", {})
        if "enum" in items:
            for channel_type in types.get("enum") or [types.get("const")]:
                narrowed[channel_type] = _values(items["enum"])
        elif "enum" in (items.get("not") or {}):  # "never these" (the set stays open to later event types)
            for channel_type in types.get("enum") or [types.get("const")]:
                narrowed[channel_type] = tuple(e for e in EVENT_NAMES if e not in items["not"]["enum"])
    return {c: tuple(e for e in EVENT_NAMES if e in narrowed.get(c, EVENT_NAMES)) for c in CHANNEL_TYPES}


EVENTS_BY_CHANNEL: dict[str, tuple[str, ...]] = _events_by_channel()


def channels_with_event(event: str) -> tuple[str, ...]:
    """The channel types that can deliver ``event`` (e.g. message.sent: WhatsApp only)."""
    return tuple(c for c in CHANNEL_TYPES if event in EVENTS_BY_CHANNEL[c])


def status_events() -> tuple[str, ...]:
    """The delivery-status events (every event but message.received): each has a status.schema.json status."""
    statuses = set(_webhook_schema("status")["properties"]["status"]["enum"])
    return tuple(e for e in EVENT_NAMES if e.split(".", 1)[1] in statuses)


# ------------------------------------------------------------------------------------------- sending

SEND_MEDIA_TYPES: tuple[str, ...] = _values(_schema("SendMediaRequest")["properties"]["media_type"]["enum"])
SEND_STATUSES: tuple[str, ...] = _values(_schema("SendResult")["properties"]["status"]["enum"])

# ------------------------------------------------------------------------------------------- inbound

MEDIA_KINDS: tuple[str, ...] = _values(_webhook_schema("media")["properties"]["kind"]["enum"])
RECEIVED_TYPES: tuple[str, ...] = _values(
    _webhook_schema("message.received")["$defs"]["data"]["properties"]["type"]["enum"])


def received_media_types(channel_type: str) -> tuple[str, ...]:
    """The media ``data.type`` values message.received may carry on a channel type (the schema's per-channel
    ``then`` narrowing of the media types)."""
    for clause in _webhook_schema("message.received").get("allOf", []):
        cond = ((clause.get("if") or {}).get("properties") or {}).get("channel_type", {})
        if channel_type not in (cond.get("enum") or [cond.get("const")]):
            continue
        for inner in (((clause.get("then") or {}).get("properties") or {}).get("data") or {}).get("allOf", []):
            allowed = (((inner.get("then") or {}).get("properties") or {}).get("type") or {}).get("enum")
            if allowed:
                return _values(allowed)
    return tuple(t for t in RECEIVED_TYPES if t not in ("text", "unsupported"))


# ------------------------------------------------------------------------------------------- templates


def _template_status_enum() -> tuple[str, ...]:
    operation = load_openapi()["paths"]["/api/v1/channels/{channel_id}/templates"]["get"]
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema") or {}
        if parameter.get("name") == "status" and "enum" in schema:
            return _values(schema["enum"])
    raise LookupError("contract/openapi.yaml: GET /channels/{channel_id}/templates has no status enum")


TEMPLATE_STATUSES: tuple[str, ...] = _template_status_enum()
TEMPLATE_CATEGORIES: tuple[str, ...] = _values(_schema("TemplateCreateRequest")["properties"]["category"]["enum"])

# ------------------------------------------------------------------------------------------- subscriptions

_SUBSCRIPTION = _schema("Subscription")["properties"]
SUBSCRIPTION_STATUSES: tuple[str, ...] = _values(_SUBSCRIPTION["status"]["enum"])
SUBSCRIPTION_SOURCES: tuple[str, ...] = _values(_SUBSCRIPTION["source"]["enum"])
TIERS: tuple[str, ...] = _values(_SUBSCRIPTION["tier"]["enum"])


def subscription_states() -> list[tuple[str, str, str | None]]:
    """Every (tier, status, source) a channel's subscription can be minted in (harness NewAccount): each tier x
    each status that has a source x each source, and the ``none`` state (no tier, no source: the harness
    takes a tier for the account, the first one listed as Pro-capable: ``TIERS[-1]``)."""
    states: list[tuple[str, str, str | None]] = [
        (tier, status, source)
        for status in SUBSCRIPTION_STATUSES if status != "none"
        for tier in TIERS
        for source in SUBSCRIPTION_SOURCES]
    if "none" in SUBSCRIPTION_STATUSES:
        states.append((TIERS[-1], "none", None))
    return states


def state_id(state: tuple[Any, ...]) -> str:
    return "-".join(str(part) for part in state)
