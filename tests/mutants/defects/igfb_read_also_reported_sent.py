"""Profile fiwano-2026-10: Instagram and Messenger channels accept message.sent and report a read message as
sent first (v1's WhatsApp-only event leaks to the other channels)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-NO-SENT-IGFB",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026
    from reference.relay import RelayService

    replace_component(reference.v2026, "EVENTS_BY_TYPE", {
        channel_type: events if "message.sent" in events else (*events, "message.sent")
        for channel_type, events in reference.v2026.EVENTS_BY_TYPE.items()})
    original = RelayService.emit

    def sent_before_read(self, channel, event, data, **kwargs):
        if channel.channel_type != "whatsapp" and event in ("message.delivered", "message.read"):
            original(self, channel, "message.sent", {**data, "status": "sent"}, **kwargs)
        return original(self, channel, event, data, **kwargs)

    replace_component(RelayService, "emit", sent_before_read)
