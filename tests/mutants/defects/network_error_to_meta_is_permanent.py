"""A network error or timeout calling Meta is a permanent send failure: only HTTP 5xx/429 answers are queued."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TRANSIENT-QUEUED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.meta_client import MetaClient

    class NoAnswerIsFinal(MetaClient):
        async def send_message(self, sender_id, token, body):
            result = await super().send_message(sender_id, token, body)
            if not result.ok and result.http_status is None:
                result.transient = False
            return result

    replace_component(reference.app, "MetaClient", NoAnswerIsFinal)
