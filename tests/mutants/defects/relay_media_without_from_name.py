"""Relays WhatsApp media messages without the sender's name (from_name null): the contact name is read for
text messages only."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FROM-NAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound as inbound

    parse = inbound.parse_whatsapp

    def text_only_names(payload, **options):
        items = parse(payload, **options)
        for item in items:
            if isinstance(item, inbound.InboundMessage) and getattr(item, "type", "text") != "text":
                item.sender_name = None
        return items

    replace_component(inbound, "parse_whatsapp", text_only_names)
