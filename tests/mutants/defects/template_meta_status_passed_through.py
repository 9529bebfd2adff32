"""Passes Meta's HTTP status through on a failed template operation (500, 503) instead of answering 502."""

from __future__ import annotations

REQUIREMENTS = ("TPL-META-ERROR-502",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateError, TemplateService

    class PassThrough(TemplateService):
        def _meta_failed(self, what, result):
            return TemplateError(result.http_status or 502, f"Meta API error while {what}: {result.error_message}")

    replace_component(reference.app, "TemplateService", PassThrough)
