"""Hostile but signed Meta webhooks: one batch with ordinary text messages around one entry a gateway must
survive (issue 18). Meta itself should never send these; a gateway is still judged by what it does with one:
the rest of the batch stored and relayed, Meta answered 2xx (or a 4xx it will not retry for ever), nothing of
the good entries lost or relayed twice.

Each batch is ``[good 1, hostile, good 2]`` in one entry (WhatsApp: one ``changes[].value.messages[]``;
Messenger and Instagram: one ``entry[].messaging[]``), signed with the app secret like every webhook. Kinds:

- ``nan_timestamp``, ``infinite_timestamp``: the hostile message's timestamp is the bare JSON token ``NaN`` /
  ``Infinity`` (not JSON, but what a careless producer writes and Python's parser accepts);
- ``huge_timestamp``, ``negative_timestamp``: ``1e20`` / ``-1e20``; ``string_timestamp``: ``"inf"``;
- ``lone_surrogate``: text ``"\\ud800"`` (an escape no UTF-8 text can carry);
- ``unknown_fields``: unknown keys at every level and a message of an unknown type;
- ``unknown_types``: known keys with the wrong JSON types;
- ``deep_nesting``: an unknown field nested ``depth`` arrays deep (default 64, within every common parser);
- ``oversized``: an unknown field padding the batch to about ``size_bytes`` (default 2.5 MB: Meta's batches
  stay under 3 MB);
- ``duplicate_entries``: no hostile message, the first good message twice in the same batch.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator import events, inbound, webhooks
from simulator.world import Store, World

HostileKind = Literal["nan_timestamp", "infinite_timestamp", "huge_timestamp", "negative_timestamp",
                      "string_timestamp", "lone_surrogate", "unknown_fields", "unknown_types", "deep_nesting",
                      "oversized", "duplicate_entries"]
HOSTILE_KINDS: tuple[str, ...] = HostileKind.__args__  # type: ignore[attr-defined]

_TIMESTAMPS = {"nan_timestamp": float("nan"), "infinite_timestamp": float("inf"), "huge_timestamp": 1e20,
               "negative_timestamp": -1e20, "string_timestamp": "inf"}


class HostileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    kind: HostileKind
    asset_id: str
    sender: str = Field(alias="from", min_length=1, max_length=64)
    depth: int = Field(default=64, ge=1, le=100_000)
    size_bytes: int = Field(default=2_500_000, ge=1, le=50_000_000)


def _messages(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The list holding the message items of a one-message payload built by simulator.inbound."""
    entry = payload["entry"][0]
    if "changes" in entry:
        return entry["changes"][0]["value"]["messages"]
    return entry["messaging"]


def _message_of(item: dict[str, Any]) -> dict[str, Any]:
    return item if "id" in item and "from" in item else item["message"]


def _set_id(item: dict[str, Any], message_id: str) -> None:
    message = _message_of(item)
    message["id" if "id" in message else "mid"] = message_id


def _set_timestamp(item: dict[str, Any], value: Any) -> None:
    item["timestamp"] = value


def _hostile_item(kind: str, template: dict[str, Any], req: HostileRequest) -> dict[str, Any]:
    item = copy.deepcopy(template)
    whatsapp = "id" in item and "from" in item
    if kind in _TIMESTAMPS:
        _set_timestamp(item, _TIMESTAMPS[kind])
    elif kind == "lone_surrogate":
        if whatsapp:
            item["text"] = {"body": "bad \ud800 text"}
        else:
            item["message"]["text"] = "bad \ud800 text"
    elif kind == "unknown_fields":
        item["x_unknown"] = {"nested": [1, "two", None, {"three": 3.5}]}
        if whatsapp:
            item.update(type="hologram", hologram={"frames": [{"z": 1}], "x_more": True})
            item.pop("text", None)
        else:
            item["message"]["x_unknown_kind"] = {"hologram": [1, 2, 3]}
            item["x_unknown_event"] = {"seen": True}
    elif kind == "unknown_types":
        if whatsapp:
            item.update(timestamp={"seconds": 1}, type=["text"], text="not an object", context=7)
        else:
            item.update(timestamp=[1], sender={"id": {"nested": True}})
            item["message"]["text"] = {"not": "a string"}
    elif kind == "deep_nesting":
        nested: Any = 1
        for _ in range(req.depth):
            nested = [nested]
        item["x_nested"] = nested
    elif kind == "oversized":
        item["x_padding"] = "p" * req.size_bytes
    return item


def build(store: Store, world: World, req: HostileRequest, base_url: str) -> dict[str, Any]:
    """The batch and the ids of its messages (good ones, and the hostile one when it has its own)."""
    nonce = secrets.token_hex(4)
    first = inbound.build(store, world, inbound.InboundRequest(asset_id=req.asset_id, sender=req.sender,
                                                               text=f"hostile batch {nonce}: good 1"), base_url)
    second = inbound.build(store, world, inbound.InboundRequest(asset_id=req.asset_id, sender=req.sender,
                                                                text=f"hostile batch {nonce}: good 2"), base_url)
    payload = first["payload"]
    items = _messages(payload)
    good_one = items[0]
    good_two = _messages(second["payload"])[0]
    hostile_id = None
    if req.kind == "duplicate_entries":
        items[:] = [good_one, copy.deepcopy(good_one), good_two]
    else:
        hostile = _hostile_item(req.kind, good_one, req)
        hostile_id = f"{first['message_id']}.H{nonce}"
        _set_id(hostile, hostile_id)
        items[:] = [good_one, hostile, good_two]
    if req.kind == "unknown_fields":
        payload["x_unknown_top"] = {"a": 1}
        payload["entry"][0]["x_unknown_entry"] = [None]
    return {"payload": payload, "good_message_ids": [first["message_id"], second["message_id"]],
            "hostile_message_id": hostile_id,
            "good_texts": [f"hostile batch {nonce}: good 1", f"hostile batch {nonce}: good 2"]}


async def emit(store: Store, world: World, req: HostileRequest, base_url: str) -> dict[str, Any]:
    built = build(store, world, req, base_url)
    size = len(webhooks.serialize(built["payload"]))
    result = await events.emit(store, world, built["payload"])
    # the world's delivery log keeps a summary: the batch itself (NaN, lone surrogates, megabytes) is not
    # something its JSON answer can or should carry
    result["payload"] = {"hostile_kind": req.kind, "bytes": size, "good_message_ids": built["good_message_ids"]}
    return {"kind": req.kind, "good_message_ids": built["good_message_ids"], "good_texts": built["good_texts"],
            "hostile_message_id": built["hostile_message_id"], "delivery": events.public_delivery(result),
            "payload_bytes": size}
