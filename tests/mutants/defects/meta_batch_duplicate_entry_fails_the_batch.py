"""The same Meta message twice in one batch makes the batch fail (a unique-key violation answered 500): Meta
retries it for ever and neither copy is relayed."""

from __future__ import annotations

REQUIREMENTS = ("META-WEBHOOK-HOSTILE-ANSWER", "META-WEBHOOK-DEDUPE")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import sqlite3

    import reference.app
    from reference.inbound import InboundService, InboundMessage, parse_meta_webhook

    class OneBatchOneCopy(InboundService):
        def handle(self, payload):
            ids = [e.meta_id for e in parse_meta_webhook(payload) if isinstance(e, InboundMessage)]
            if len(ids) != len(set(ids)):
                raise sqlite3.IntegrityError("UNIQUE constraint failed: messages.meta_message_id")
            return super().handle(payload)

    replace_component(reference.app, "InboundService", OneBatchOneCopy)
