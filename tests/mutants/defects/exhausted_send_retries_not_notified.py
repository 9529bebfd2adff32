"""When the retries of a queued send are exhausted the message fails but the owner gets no failure e-mail."""

from __future__ import annotations

REQUIREMENTS = ("SEND-RETRY-EXHAUSTED-NOTICE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class SilentGiveUp(SendService):
        def _notify(self, message, kind, text):
            if kind != "send_failed":
                super()._notify(message, kind, text)

    replace_component(reference.app, "SendService", SilentGiveUp)
