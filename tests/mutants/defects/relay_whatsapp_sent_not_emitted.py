"""Meta's "sent" status on WhatsApp is only stored: no message.sent event is emitted."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-SENT-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class SilentSent(InboundService):
        def apply_status(self, channel, message, status, timestamp, errors=None):
            if status == "sent":
                self.messages.advance_status(message.id, status, None, None)
                return
            return super().apply_status(channel, message, status, timestamp, errors)

    replace_component(reference.app, "InboundService", SilentSent)
