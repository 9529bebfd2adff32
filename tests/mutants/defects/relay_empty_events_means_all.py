"""An empty or never-set webhook_events is taken as "all events": every event is delivered until a list is set."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-EVENTS-DEFAULT-NONE", "RELAY-EVENTS-ONLY-ENABLED")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import dataclasses

    import reference.app
    from reference.relay import RelayService
    from reference.repos.channels import EVENTS_BY_TYPE

    class AllByDefault(RelayService):
        def emit(self, channel, event, data, **kwargs):
            if channel.webhook_url and not channel.webhook_events:
                channel = dataclasses.replace(channel, webhook_events=list(EVENTS_BY_TYPE[channel.channel_type]))
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", AllByDefault)
