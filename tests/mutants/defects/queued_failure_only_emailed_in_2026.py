"""Profile fiwano-2026-10: a queued send whose retries run out is only e-mailed, never a message.failed (the
v1 reading notice-only, which the 2026-10-06 changelog rules out)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-FAILED-QUEUED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    original = reference.v2026.apply

    def notice_only(components):
        original(components)
        components.sending.failed_webhook_on_exhaustion = False

    replace_component(reference.v2026, "apply", notice_only)
