"""A text send answers Meta's message id (wamid / mid) as message_id instead of a Fiwano UUID."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-OK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class MetaIdAnswer(SendService):
        async def send(self, **kwargs):
            answer = await super().send(**kwargs)
            stored = self.messages.get(answer["message_id"])
            if stored is not None and stored.meta_message_id:
                answer["message_id"] = stored.meta_message_id
            return answer

    replace_component(reference.app, "SendService", MetaIdAnswer)
