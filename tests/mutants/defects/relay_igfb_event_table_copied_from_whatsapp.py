"""Instagram and Facebook channels accept and emit every WhatsApp event (the per-type event table was copied).

With message.sent and message.failed allowed on those channels, a send that Meta finally refuses during the
retries reaches the customer as message.failed on Instagram / Messenger.
"""

from __future__ import annotations

REQUIREMENTS = ("RELAY-NO-SENT-FAILED-IGFB",)


def apply() -> None:
    from reference.repos import channels

    table = channels.EVENTS_BY_TYPE  # one dict, shared with the PATCH validation
    for channel_type in ("instagram", "facebook"):
        table[channel_type] = table["whatsapp"]
