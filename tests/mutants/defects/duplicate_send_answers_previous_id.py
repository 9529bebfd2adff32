"""A send repeating the text sent to the same recipient within 60 s is deduplicated: it answers the earlier id."""

from __future__ import annotations

REQUIREMENTS = ("SEND-MESSAGE-ID-UNIQUE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class Deduplicating(SendService):
        async def send(self, *, account_id, channel, recipient, kind, text, meta_request):
            if text is not None:
                earlier = self.messages.db.one(
                    "SELECT id FROM messages WHERE channel_id = ? AND direction = 'out' AND peer = ? AND text = ?"
                    " AND created_at > ? ORDER BY created_at DESC LIMIT 1",
                    (channel.id, recipient, text, self.clock.now() - 60))
                if earlier is not None:
                    return {"success": True, "message_id": earlier["id"]}
            return await super().send(account_id=account_id, channel=channel, recipient=recipient, kind=kind,
                                      text=text, meta_request=meta_request)

    replace_component(reference.app, "SendService", Deduplicating)
