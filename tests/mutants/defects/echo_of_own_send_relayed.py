"""Profile fiwano-2026-10: Meta's echo of a message sent through the API is relayed as message.echo too (the
echo is not matched to the send it copies)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ECHO-NOT-OWN-SENDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.inbound import InboundService

    replace_component(InboundService, "is_own_send", lambda self, channel, echo: False)
