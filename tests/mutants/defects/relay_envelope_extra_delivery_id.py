"""Adds a top-level "id" (the delivery id) to every webhook payload, beside the five documented fields."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ENVELOPE",)


def apply() -> None:
    import secrets

    import reference.relay

    original = reference.relay.envelope

    def envelope_with_id(event, channel_id, channel_type, timestamp, data):
        return {"id": secrets.token_hex(8), **original(event, channel_id, channel_type, timestamp, data)}

    reference.relay.envelope = envelope_with_id
