"""Profile fiwano-2026-10: a send Meta throttles is still answered 200 "queued" and retried in the background
(the v1 behaviour), not 429/503 with Retry-After."""

from __future__ import annotations

REQUIREMENTS = ("SEND-PACING-RETRY-AFTER",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026.SendPacing, "throttles", lambda self, result: False)
