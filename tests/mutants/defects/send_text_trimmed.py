"""The text is trimmed of surrounding whitespace before it is sent to Meta."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-VERBATIM",)


def apply() -> None:
    import reference.api.v1

    original = reference.api.v1.text_body

    def trimmed(channel, recipient, text):
        return original(channel, recipient, text.strip())

    reference.api.v1.text_body = trimmed
