"""Allows the next edit of an approved template 5 s before 24 hours have passed."""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-ONCE-PER-DAY",)


def apply() -> None:
    import reference.app
    from reference.templates import TemplateService

    class Impatient(TemplateService):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.min_interval -= 5

    reference.app.TemplateService = Impatient
