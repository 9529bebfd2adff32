"""Profile fiwano-2026-10: only WhatsApp's own throttling codes (130429, 131056) pace a send; Graph's generic
codes (4, 17, 32, 613) and Instagram/Messenger's (80001...) are still queued."""

from __future__ import annotations

REQUIREMENTS = ("SEND-PACING-RETRY-AFTER",)


def apply() -> None:
    from tests.mutants.seams import wrap

    import reference.v2026

    def make(throttles):
        def whatsapp_only(self, result):
            return throttles(self, result) and result.error_code in (130429, 131056)
        return whatsapp_only

    wrap(reference.v2026.SendPacing, "throttles", make)
