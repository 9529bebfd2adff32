"""Texts longer than 1000 characters are split into 1000-character messages (Instagram's limit used as a chunk size)."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-NO-SPLIT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService, text_body

    class Splitting(SendService):
        async def send(self, *, account_id, channel, recipient, kind, text, meta_request):
            if kind != "text" or text is None or len(text) <= 1000:
                return await super().send(account_id=account_id, channel=channel, recipient=recipient, kind=kind,
                                          text=text, meta_request=meta_request)
            answers = []
            for start in range(0, len(text), 1000):
                part = text[start:start + 1000]
                answers.append(await super().send(account_id=account_id, channel=channel, recipient=recipient,
                                                  kind=kind, text=part, meta_request=text_body(channel, recipient,
                                                                                               part)))
            return answers[0]

    replace_component(reference.app, "SendService", Splitting)
