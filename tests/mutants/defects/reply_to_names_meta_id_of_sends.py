"""Profile fiwano-2026-10: a reply to a message sent through the API names Meta's id, not the Fiwano message_id
the customer holds."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-REPLY-TO",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.inbound import InboundService

    replace_component(InboundService, "id_the_customer_holds", lambda self, channel, meta_id: meta_id)
