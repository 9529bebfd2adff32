"""Delivers every status event (sent, delivered, read, failed) even when the channel did not enable it."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-EVENTS-ONLY-ENABLED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import dataclasses

    import reference.app
    from reference.relay import RelayService

    class UnfilteredRelay(RelayService):
        def emit(self, channel, event, data, **kwargs):
            if event != "message.received" and channel.webhook_url and not channel.wants(event):
                events = list(getattr(channel, "webhook_events", None) or []) + [event]
                channel = dataclasses.replace(channel, webhook_events=events)
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", UnfilteredRelay)
