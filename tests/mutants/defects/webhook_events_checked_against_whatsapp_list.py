"""webhook_events are checked against the WhatsApp list for every channel: Instagram/Facebook accept message.sent and message.failed."""

from __future__ import annotations

REQUIREMENTS = ("WEBHOOK-EVENTS-PER-CHANNEL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    original = service.validate_events

    def validate_events(channel_type, events, *table):
        return original("whatsapp", events, *table)

    replace_component(service, "validate_events", validate_events)
