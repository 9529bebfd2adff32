"""WhatsApp recipients are normalised to North-American national format: the leading country code 1 is dropped."""

from __future__ import annotations

REQUIREMENTS = ("SEND-RECIPIENT-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import re

    import reference.api.v1

    original = reference.api.v1.text_body

    def national(channel, recipient, text):
        if channel.channel_type == "whatsapp" and re.fullmatch(r"1[0-9]{10}", recipient):
            recipient = recipient[1:]
        return original(channel, recipient, text)

    replace_component(reference.api.v1, "text_body", national)
