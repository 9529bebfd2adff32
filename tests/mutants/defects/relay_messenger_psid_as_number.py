"""On Facebook Messenger data.from is the PSID parsed as a JSON number instead of the id string."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FROM-FB",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class NumericPsid(InboundService):
        def base_data(self, item):
            data = super().base_data(item)
            if item.channel_type == "facebook" and str(data["from"]).isdigit():
                data["from"] = int(data["from"])
            return data

    replace_component(reference.app, "InboundService", NumericPsid)
