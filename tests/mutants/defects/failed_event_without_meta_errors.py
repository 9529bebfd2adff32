"""Profile fiwano-2026-10: message.failed never carries Meta's errors, even when Meta rejected the send."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FAILED-ERROR-FIELDS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from reference.sending import SendService

    original = SendService._emit_failed

    def without_errors(self, channel, message, error, code):
        original(self, channel, message, error, None)

    replace_component(SendService, "_emit_failed", without_errors)
