"""On Instagram data.from is the business account's id (recipient.id) instead of the sender's IGSID."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FROM-IG",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class SwappedInstagram(InboundService):
        def base_data(self, item):
            data = super().base_data(item)
            if item.channel_type == "instagram":
                data["from"] = item.asset_id
            return data

    replace_component(reference.app, "InboundService", SwappedInstagram)
