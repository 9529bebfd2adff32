"""The per-platform text limit, counted in Unicode code points, read from the profile."""

from __future__ import annotations

from typing import Any


class TextLimitChecker:
    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = dict(limits)

    def max_length(self, channel_type: str) -> int:
        return int(self.limits[channel_type])

    @staticmethod
    def length(text: str) -> int:
        return len(text)  # Python str length = Unicode code points

    def check(self, channel_type: str, text: str) -> dict[str, Any] | None:
        """None when the text fits, else the documented ``text_too_long`` detail."""
        limit = self.max_length(channel_type)
        actual = self.length(text)
        if actual <= limit:
            return None
        return {
            "code": "text_too_long",
            "message": f"Text exceeds {channel_type} limit of {limit} characters (got {actual}).",
            "actual_length": actual,
            "max_length": limit,
            "channel_type": channel_type,
            "hint": "Split the text on your side and send as multiple messages.",
        }
