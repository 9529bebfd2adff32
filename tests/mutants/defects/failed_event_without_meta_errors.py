"""Profile fiwano-2026-10: message.failed never carries Meta's errors, even when Meta rejected the send."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FAILED-ERROR-FIELDS",)


def apply() -> None:
    from reference.sending import SendService

    original = SendService._emit_failed

    def without_errors(self, channel, message, error, code):
        original(self, channel, message, error, None)

    SendService._emit_failed = without_errors
