"""Treats Meta's permanent error code 100 as transient: the send is queued and retried instead of failed."""

from __future__ import annotations

REQUIREMENTS = ("SEND-PERMANENT-FAILED", "SEND-PERMANENT-NO-RETRY", "SEND-RETRY-ABORT-ON-PERMANENT")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.meta_client import MetaClient

    class RetriesEverything(MetaClient):
        async def send_message(self, sender_id, token, body):
            result = await super().send_message(sender_id, token, body)
            if not result.ok and result.error_code == 100:
                result.transient = True
            return result

    replace_component(reference.app, "MetaClient", RetriesEverything)
