"""Names every WhatsApp message of one Meta webhook after the batch's first contact: in a batch from two
users, the second message is relayed with the first sender's from_name."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FROM-NAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound as inbound

    parse = inbound.parse_whatsapp

    def first_name_for_all(payload, **options):
        items = parse(payload, **options)
        names = [getattr(i, "sender_name", None) for i in items if isinstance(i, inbound.InboundMessage)]
        for item in items:
            if isinstance(item, inbound.InboundMessage) and names:
                item.sender_name = names[0]
        return items

    replace_component(inbound, "parse_whatsapp", first_name_for_all)
