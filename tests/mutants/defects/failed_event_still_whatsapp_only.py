"""Profile fiwano-2026-10: Instagram and Messenger channels still drop message.failed (the v1 event types)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FAILED-IGFB",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "EVENTS_BY_TYPE", {
        channel_type: tuple(e for e in events if channel_type == "whatsapp" or e != "message.failed")
        for channel_type, events in reference.v2026.EVENTS_BY_TYPE.items()})
