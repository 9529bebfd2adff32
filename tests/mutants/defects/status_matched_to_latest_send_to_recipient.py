"""A status webhook names the latest message sent to that recipient instead of the message Meta's status is about."""

from __future__ import annotations

REQUIREMENTS = ("SEND-MESSAGE-ID-STATUS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.messages import MessageRepository, _message

    class LatestToPeer(MessageRepository):
        def find_outbound_by_meta_id(self, channel_id, meta_message_id):
            found = super().find_outbound_by_meta_id(channel_id, meta_message_id)
            if found is None:
                return None
            row = self.db.one("SELECT * FROM messages WHERE channel_id = ? AND direction = 'out' AND peer = ?"
                              " ORDER BY created_at DESC LIMIT 1", (channel_id, found.peer))
            return _message(row) if row else found

    replace_component(reference.app, "MessageRepository", LatestToPeer)
