"""A Messenger/Instagram read marks only the message it names, not the earlier ones to the same user."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-DELIVERED-READ",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import InboundService

    class NoCascade(InboundService):
        def _on_status(self, channel, update):
            targets = [m for m in (self.messages.find_outbound_by_meta_id(channel.id, i) for i in update.meta_ids)
                       if m is not None]
            if not update.meta_ids and update.watermark is not None and update.peer:
                targets = self.messages.outbound_to_peer(channel.id, update.peer,
                                                         until=update.watermark + self.tolerance)
            for message in sorted(targets, key=lambda m: m.created_at):
                self.apply_status(channel, message, update.status, update.timestamp, update.errors)

    replace_component(reference.app, "InboundService", NoCascade)
