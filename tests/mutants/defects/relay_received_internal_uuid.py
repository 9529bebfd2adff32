"""message.received carries Fiwano's own UUID of the stored inbound message instead of Meta's wamid / mid."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RECEIVED-MESSAGE-ID",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class InternalIdRelay(RelayService):
        def emit(self, channel, event, data, *, timestamp=None, message_id=None):
            if event == "message.received" and message_id:
                data = {**data, "message_id": message_id}
            return super().emit(channel, event, data, timestamp=timestamp, message_id=message_id)

    replace_component(reference.app, "RelayService", InternalIdRelay)
