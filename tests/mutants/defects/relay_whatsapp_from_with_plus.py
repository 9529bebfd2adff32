"""On WhatsApp data.from is formatted as E.164 with a leading "+" instead of Meta's bare digits."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FROM-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class PlusInbound(InboundService):
        def base_data(self, item):
            data = super().base_data(item)
            if item.channel_type == "whatsapp" and not str(data["from"]).startswith("+"):
                data["from"] = "+" + str(data["from"])
            return data

    replace_component(reference.app, "InboundService", PlusInbound)
