"""Reads the 30-day lock on a deleted approved template's name as 30 seconds: the name is free again at once."""

from __future__ import annotations

REQUIREMENTS = ("TPL-DELETE-NAME-LOCK",)


def apply() -> None:
    import reference.app
    from reference.templates import TemplateService

    class SecondsNotDays(TemplateService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.name_lock = 30.0

    reference.app.TemplateService = SecondsNotDays
