"""Reads the 30-day lock on a deleted approved template's name as 31 days: the name is still refused 30 days + 1 s on.

(The short direction, 30 seconds, is no longer observable: Meta itself refuses the locked name and the
reference relays that refusal as a 400, issue 18 row 6.)
"""

from __future__ import annotations

REQUIREMENTS = ("TPL-DELETE-NAME-LOCK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class OneDayTooLong(TemplateService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.name_lock = 31 * 86400.0

    replace_component(reference.app, "TemplateService", OneDayTooLong)
