"""Profile fiwano-2026-10: a send answered 429 for Meta's throttling is kept queued and sent later anyway, so a
caller that retries as told sends it twice."""

from __future__ import annotations

REQUIREMENTS = ("SEND-PACING-RETRY-AFTER",)


def apply() -> None:
    from tests.mutants.seams import wrap

    from contract import load_profile
    from reference.repos.messages import MessageRepository

    throttling = frozenset(int(code) for code in load_profile("fiwano-2026-10")["meta_error_codes"]["throttling"])

    def make(mark_failed):
        def queued_behind_the_callers_back(self, message_id, attempts, error, error_code):
            if attempts == 1 and error_code in throttling:  # the throttled first attempt the caller was refused
                return self.mark_queued(message_id, attempts, 0.0, error, error_code)
            return mark_failed(self, message_id, attempts, error, error_code)
        return queued_behind_the_callers_back

    wrap(MessageRepository, "mark_failed", make)
