"""The recipient is cut to 15 characters (the E.164 maximum) in the Meta request: 16-digit IGSIDs/PSIDs lose a digit."""

from __future__ import annotations

REQUIREMENTS = ("SEND-RECIPIENT-IG", "SEND-RECIPIENT-FB")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1

    original = reference.api.v1.text_body

    def e164_sized(channel, recipient, text):
        return original(channel, recipient[:15], text)

    replace_component(reference.api.v1, "text_body", e164_sized)
