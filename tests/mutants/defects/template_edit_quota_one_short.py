"""Lets an approved template be edited only 9 times in 30 days: the edit quota is one short.

(The generous direction, 11 edits, is no longer observable: Meta itself refuses the 11th edit and the
reference relays that refusal as a 400, issue 18 row 6.)
"""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-10-PER-30-DAYS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class QuotaOneShort(TemplateService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.max_edits -= 1

    replace_component(reference.app, "TemplateService", QuotaOneShort)
