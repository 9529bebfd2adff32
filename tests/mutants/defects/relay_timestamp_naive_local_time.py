"""The envelope timestamp is a naive ISO time without a UTC designator (datetime.utcfromtimestamp().isoformat())."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ENVELOPE-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from datetime import datetime, timezone

    import reference.relay

    original = reference.relay.envelope

    def naive_envelope(event, channel_id, channel_type, timestamp, data):
        payload = original(event, channel_id, channel_type, timestamp, data)
        payload["timestamp"] = datetime.fromtimestamp(timestamp, tz=timezone.utc).replace(tzinfo=None).isoformat()
        return payload

    replace_component(reference.relay, "envelope", naive_envelope)
