"""webhook_events only refuses Fiwano events the channel type lacks; names that are no event at all are stored."""

from __future__ import annotations

REQUIREMENTS = ("WEBHOOK-EVENTS-UNKNOWN-NAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service
    from reference.repos.channels import EVENTS_BY_TYPE

    original = service.validate_events

    def validate_events(channel_type, events, events_by_type=EVENTS_BY_TYPE):
        known = {event for names in events_by_type.values() for event in names}   # any Fiwano event
        original(channel_type, [e for e in events if e in known], events_by_type)  # raises for one the type lacks
        unique = []
        for event in events:
            if event not in unique:
                unique.append(event)
        return unique

    replace_component(service, "validate_events", validate_events)
