"""Accepts 4097 characters on WhatsApp: the limit check is off by one for one channel."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-LIMIT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.limits import TextLimitChecker

    class OffByOneOnWhatsApp(TextLimitChecker):
        def max_length(self, channel_type: str) -> int:
            limit = super().max_length(channel_type)
            return limit + 1 if channel_type == "whatsapp" else limit

    replace_component(reference.app, "TextLimitChecker", OffByOneOnWhatsApp)
