"""Profile fiwano-2026-10: Meta's statuses of a template message are dropped (template sends are not tracked
like free-form sends, as before the 2026-07 change)."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-TRACKED",)


def apply() -> None:
    from reference.inbound import InboundService
    from tests.mutants.seams import replace_component

    original = InboundService.apply_status

    def untracked(self, channel, message, *args, **kwargs):
        if message.kind == "template":
            return None
        return original(self, channel, message, *args, **kwargs)

    replace_component(InboundService, "apply_status", untracked)
