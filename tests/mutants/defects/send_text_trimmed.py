"""The text is trimmed of surrounding whitespace before it is sent to Meta."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-VERBATIM",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1

    original = reference.api.v1.text_body

    def trimmed(channel, recipient, text):
        return original(channel, recipient, text.strip())

    replace_component(reference.api.v1, "text_body", trimmed)
