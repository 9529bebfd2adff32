"""Counts the text limit in code points but reports actual_length in UTF-8 bytes (two units)."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-LENGTH-UNIT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.limits import TextLimitChecker

    class BytesInTheReport(TextLimitChecker):
        def check(self, channel_type, text):
            detail = super().check(channel_type, text)
            if detail is not None:
                detail["actual_length"] = len(text.encode("utf-8"))
            return detail

    replace_component(reference.app, "TextLimitChecker", BytesInTheReport)
