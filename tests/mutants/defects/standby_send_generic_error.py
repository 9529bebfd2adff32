"""Profile fiwano-2026-10: a send into a conversation another app controls gets Meta's generic error (200 with
success false and Meta's text), not an answer that names the handover."""

from __future__ import annotations

REQUIREMENTS = ("SEND-STANDBY-REFUSED",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    replace_component(reference.v2026, "refuse_standby", lambda channel, recipient, result: None)
