"""Reads the 24-hour edit interval as 48 hours: an edit 24 h + 1 s after the last one is still refused.

(The lenient direction, 24 seconds, is no longer observable: Meta itself refuses the early edit and the
reference relays that refusal as a 400, issue 18 row 6.)
"""

from __future__ import annotations

REQUIREMENTS = ("TPL-UPDATE-ONCE-PER-DAY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class TwoDaysNotOne(TemplateService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.min_interval = 48 * 3600.0

    replace_component(reference.app, "TemplateService", TwoDaysNotOne)
