"""Sends PENDING and REJECTED templates to Meta: the approval check reads every template as APPROVED."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("TPL-SEND-APPROVED-ONLY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class EverythingApproved(TemplateService):
        def find(self, channel_id, name, language):
            found = super().find(channel_id, name, language)
            return dataclasses.replace(found, status="APPROVED") if found is not None else None

    replace_component(reference.app, "TemplateService", EverythingApproved)
