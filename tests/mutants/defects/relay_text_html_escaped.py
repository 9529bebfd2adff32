"""Inbound text is HTML-escaped before relaying ("sanitised" against XSS): quotes and & arrive as entities."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-TEXT-VERBATIM",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import html

    import reference.app
    from reference.inbound import InboundService

    class EscapingInbound(InboundService):
        def _save_message(self, channel, item):
            if item.type == "text" and isinstance(item.text, str):
                item.text = html.escape(item.text)
            return super()._save_message(channel, item)

    replace_component(reference.app, "InboundService", EscapingInbound)
