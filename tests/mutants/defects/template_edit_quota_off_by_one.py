"""Lets an approved template be edited 11 times in 30 days: the edit quota is off by one."""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-10-PER-30-DAYS",)


def apply() -> None:
    import reference.app
    from reference.templates import TemplateService

    class GenerousQuota(TemplateService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.max_edits += 1

    reference.app.TemplateService = GenerousQuota
