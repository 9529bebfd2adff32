"""Every "unsupported" message carries upgrade_required "pro", also locations, contacts and reactions no tier relays."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-UNSUPPORTED-OTHER",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class UpgradeHintEverywhere(RelayService):
        def emit(self, channel, event, data, **kwargs):
            if event == "message.received" and data.get("type") == "unsupported" and "upgrade_required" not in data:
                data = {**data, "upgrade_required": "pro"}
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", UpgradeHintEverywhere)
