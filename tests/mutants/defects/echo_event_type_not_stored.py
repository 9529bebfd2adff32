"""Profile fiwano-2026-10: message.echo is not among the event types a channel accepts (ignored when set)."""

from __future__ import annotations

REQUIREMENTS = ("WEBHOOK-EVENTS-2026",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "EVENTS_BY_TYPE", {
        channel_type: tuple(e for e in events if e != "message.echo")
        for channel_type, events in reference.v2026.EVENTS_BY_TYPE.items()})
