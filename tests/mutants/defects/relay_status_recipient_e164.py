"""Status events give data.recipient of a WhatsApp send as E.164 with "+", not in the channel's recipient format."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-STATUS-RECIPIENT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class E164Recipients(RelayService):
        def emit(self, channel, event, data, **kwargs):
            recipient = data.get("recipient")
            if (event != "message.received" and channel.channel_type == "whatsapp" and isinstance(recipient, str)
                    and not recipient.startswith("+")):
                data = {**data, "recipient": "+" + recipient}
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", E164Recipients)
