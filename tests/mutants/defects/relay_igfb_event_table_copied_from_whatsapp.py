"""Instagram and Facebook channels accept and emit every WhatsApp event (the per-type event table was copied).

With message.sent and message.failed allowed on those channels, a send that Meta finally refuses during the
retries reaches the customer as message.failed on Instagram / Messenger.
"""

from __future__ import annotations

REQUIREMENTS = ("RELAY-NO-SENT-FAILED-IGFB",)


def apply() -> None:
    import reference.channel_service
    from reference.repos import channels
    from tests.mutants.seams import replace_component

    table = channels.EVENTS_BY_TYPE
    copied = {**table, "instagram": table["whatsapp"], "facebook": table["whatsapp"]}
    # the one table, rebound where it is looked up: the channel (its events) and the PATCH validation
    replace_component(reference.channel_service, "EVENTS_BY_TYPE", copied)
    replace_component(channels, "EVENTS_BY_TYPE", copied)
