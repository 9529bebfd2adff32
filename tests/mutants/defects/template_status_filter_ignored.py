"""Lists every template whatever the status filter: the stored-list query drops the status condition."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIST-STATUS-FILTER",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class UnfilteredTemplates(TemplateService):
        def list_local(self, channel_id, status=None):
            return super().list_local(channel_id, None)

    replace_component(reference.app, "TemplateService", UnfilteredTemplates)
