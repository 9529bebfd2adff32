"""Status webhooks carry Meta's message id (wamid / mid) instead of the UUID the send answered."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-STATUS-PAYLOAD",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class MetaIdStatuses(InboundService):
        def apply_status(self, channel, message, status, timestamp, errors=None):
            relay = self.relay
            if "emit" in vars(relay):  # nested call (Instagram's implied delivered): already wrapped
                return super().apply_status(channel, message, status, timestamp, errors)
            original = relay.emit

            def emit(channel_, event, data, **kwargs):
                found = self.messages.get(data.get("message_id")) if data.get("message_id") else None
                if found is not None and found.meta_message_id:
                    data = {**data, "message_id": found.meta_message_id}
                return original(channel_, event, data, **kwargs)

            relay.emit = emit
            try:
                return super().apply_status(channel, message, status, timestamp, errors)
            finally:
                del relay.emit

    replace_component(reference.app, "InboundService", MetaIdStatuses)
