"""Profile fiwano-2026-10: any string of digits is a valid WhatsApp recipient (no 7 to 15 digit bounds)."""

from __future__ import annotations

REQUIREMENTS = ("SEND-WA-RECIPIENT-VALIDATED",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import re

    import reference.v2026

    replace_component(reference.v2026, "WA_RECIPIENT", re.compile(r"\+?[0-9]+"))
