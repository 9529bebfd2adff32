"""Counts template edits over 30 days plus 5 s: the quota frees up a few seconds late."""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-10-PER-30-DAYS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class LongMemory(TemplateService):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.edit_window += 5

    replace_component(reference.app, "TemplateService", LongMemory)
