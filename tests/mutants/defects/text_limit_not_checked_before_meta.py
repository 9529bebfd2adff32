"""Fiwano does not check the text limit itself: oversize text is passed to Meta and Meta's refusal is returned."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-CHECKED-BEFORE-META",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.limits import TextLimitChecker

    class LeftToMeta(TextLimitChecker):
        def check(self, channel_type, text):
            return None

    replace_component(reference.app, "TextLimitChecker", LeftToMeta)
