"""Emitting inbound messages through the simulator, as Meta would send them to the target.

One helper shared by provisioning (the message that opens a conversation window) and the inbound user, so
that every inbound message the run caused is recorded the same way and reconciled against the sink.
"""

from __future__ import annotations

import time
from typing import Any

from loadtests.keyring import ChannelSpec


def simulator_client(base_url: str):
    """The simulator's typed control client; imported late so the pure parts of the kit load without it."""
    from simulator.client import SimulatorClient

    return SimulatorClient(base_url)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def emit(sim, key_index: int, channel: ChannelSpec, text: str) -> dict:
    """Emit one inbound text from the channel's recipient; returns the ledger row for reconciliation.

    The simulator sends the signed Meta webhook before it answers, so the row also says how the target
    answered Meta (``delivery_status``): a target that refused the webhook lost the message at the door.
    """
    sent = time.time()
    row = {"key": key_index, "channel_id": channel.channel_id, "channel_type": channel.channel_type,
           "world_id": channel.world_id, "asset_id": channel.asset_id, "text": text, "sent": sent,
           "message_id": None, "delivery_status": None, "delivery_error": None}
    try:
        result = sim.emit_inbound_text(channel.world_id, channel.asset_id, channel.recipient, text)
    except Exception as exc:  # noqa: BLE001 - the simulator (our side) failed: recorded, reported as an error, not a loss
        row.update(done=time.time(), emit_error=f"{type(exc).__name__}: {exc}")
        return row
    delivery = _field(result, "delivery")
    row.update(done=time.time(), message_id=_field(result, "message_id"),
               delivery_status=_field(delivery, "status") if delivery is not None else None,
               delivery_error=_field(delivery, "error") if delivery is not None else None)
    return row


# The statuses Meta sends per channel, in order (simulator/statuses.py; Instagram has no delivery receipts).
STATUS_SEQUENCE = {"whatsapp": ("sent", "delivered", "read"), "facebook": ("delivered", "read"),
                   "instagram": ("read",)}


def meta_message_id(entry: Any) -> str | None:
    """The id Meta gave a sent message, from a journal entry's response (WhatsApp or Messenger/Instagram)."""
    response = _field(entry, "response")
    if not isinstance(response, dict):
        return None
    messages = response.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        return messages[0].get("id")
    return response.get("message_id")


def emit_status(sim, world_id: str, channel: dict, meta_id: str, status: str) -> dict:
    """Emit one status webhook for a message the target sent; returns the ledger row."""
    sent = time.time()
    row = {"kind": "status", "key": channel.get("key"), "channel_id": channel["channel_id"],
           "channel_type": channel["channel_type"], "world_id": world_id, "meta_message_id": meta_id,
           "status": status, "sent": sent, "delivery_status": None, "delivery_error": None}
    try:
        result = sim.emit_status(world_id, meta_id, status)
    except Exception as exc:  # noqa: BLE001 - the simulator (our side) failed: recorded, reported as an error, not a loss
        row.update(done=time.time(), emit_error=f"{type(exc).__name__}: {exc}")
        return row
    delivery = _field(result, "delivery")
    row.update(done=time.time(), delivery_status=_field(delivery, "status") if delivery is not None else None,
               delivery_error=_field(delivery, "error") if delivery is not None else None)
    return row
