"""Leaves channel_type out of every webhook payload: four of the five documented top-level fields.

(It added a top-level delivery "id" until issue 19: an extra field is an accepted reading of RELAY-ENVELOPE,
since every change after v1 is additive and clients ignore unknown fields.)
"""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ENVELOPE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.relay

    original = reference.relay.envelope

    def envelope_without_type(event, channel_id, channel_type, timestamp, data):
        payload = original(event, channel_id, channel_type, timestamp, data)
        payload.pop("channel_type", None)
        return payload

    replace_component(reference.relay, "envelope", envelope_without_type)
