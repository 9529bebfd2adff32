"""message.received of a plain text omits data.type (only media messages are given a type)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RECEIVED-PAYLOAD",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class UntypedTextRelay(RelayService):
        def emit(self, channel, event, data, **kwargs):
            if event == "message.received" and data.get("type") == "text":
                data = {k: v for k, v in data.items() if k != "type"}
            return super().emit(channel, event, data, **kwargs)

    replace_component(reference.app, "RelayService", UntypedTextRelay)
