"""text_too_long reports max_length as the largest limit of all channels (4096) instead of the channel's own limit."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TEXT-TOO-LONG-VALUES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.limits import TextLimitChecker

    class GlobalMaximum(TextLimitChecker):
        def check(self, channel_type, text):
            detail = super().check(channel_type, text)
            if detail is not None:
                detail["max_length"] = max(int(v) for v in self.limits.values())
            return detail

    replace_component(reference.app, "TextLimitChecker", GlobalMaximum)
