"""The text_too_long detail has no hint field (only code, message and the lengths)."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-TOO-LONG-BODY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.limits import TextLimitChecker

    class NoHint(TextLimitChecker):
        def check(self, channel_type, text):
            detail = super().check(channel_type, text)
            if detail is not None:
                detail.pop("hint", None)
            return detail

    replace_component(reference.app, "TextLimitChecker", NoHint)
