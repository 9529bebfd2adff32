"""Profile fiwano-2026-10: a channel whose access Meta refuses (190, 200) stays health "ok" (no error is read
as a refusal of access)."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-HEALTH-ACTION-REQUIRED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    replace_component(reference.v2026, "access_refused", lambda channel_type, result: False)
