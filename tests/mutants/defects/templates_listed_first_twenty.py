"""Lists at most the first 20 stored templates of a channel (an undocumented page size)."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIST-STATUS-FILTER",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class FirstPage(TemplateService):
        def list_local(self, channel_id, status=None):
            import inspect

            found = super().list_local(channel_id, status)
            return found[:20] if inspect.stack()[1].function == "list_templates" else found

    replace_component(reference.app, "TemplateService", FirstPage)
