"""Frees a deleted approved template's name 5 s before its 30-day lock ends."""

from __future__ import annotations

REQUIREMENTS = ("TPL-DELETE-NAME-LOCK",)


def apply() -> None:
    import reference.app
    from reference.templates import TemplateService

    class ShortLock(TemplateService):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.name_lock -= 5

    reference.app.TemplateService = ShortLock
