"""data.from_name is always null: the WhatsApp contact name (contacts[].profile.name) is never read."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FROM-NAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class NamelessInbound(InboundService):
        def base_data(self, item):
            return {**super().base_data(item), "from_name": None}

    replace_component(reference.app, "InboundService", NamelessInbound)
