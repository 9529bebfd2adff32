"""Reads the 24-hour edit interval as 24 seconds: an approved template can be edited again almost at once."""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-ONCE-PER-DAY",)


def apply() -> None:
    import reference.app
    from reference.templates import TemplateService

    class SecondsNotHours(TemplateService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.min_interval = 24.0

    reference.app.TemplateService = SecondsNotHours
