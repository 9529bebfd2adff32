"""A permanent failure of the first send attempt sends no e-mail; only a permanent error during retries does."""

from __future__ import annotations

REQUIREMENTS = ("SEND-PERMANENT-NOTICE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class NoticeFromRetriesOnly(SendService):
        def _notify(self, message, kind, text):
            if kind == "send_permanent_failure" and message.attempts == 0:  # the request's own attempt
                return
            super()._notify(message, kind, text)

    replace_component(reference.app, "SendService", NoticeFromRetriesOnly)
