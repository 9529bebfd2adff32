"""Customer webhook events: the documented envelope, serialised once to the bytes that are stored and sent."""

from __future__ import annotations

import json
from typing import Any

from reference.clock import iso


def envelope(event: str, channel_id: str, channel_type: str, timestamp: float, data: dict[str, Any]) -> dict[str, Any]:
    return {"event": event, "channel_id": channel_id, "channel_type": channel_type, "timestamp": iso(timestamp),
            "data": data}


def serialize(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON. These exact bytes are signed, stored and resent on every retry."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
