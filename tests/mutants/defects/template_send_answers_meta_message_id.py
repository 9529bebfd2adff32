"""Answers send-template with Meta's wamid as message_id instead of Fiwano's UUID (status webhooks use the UUID)."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-OK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class WamidAnswer(SendService):
        async def send(self, *, kind, **kwargs):
            answer = await super().send(kind=kind, **kwargs)
            stored = self.messages.get(answer["message_id"])
            if kind == "template" and stored is not None and stored.meta_message_id:
                answer["message_id"] = stored.meta_message_id
            return answer

    replace_component(reference.app, "SendService", WamidAnswer)
