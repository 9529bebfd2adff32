"""Syncs a channel's templates with Meta only while its stored list is empty: later lists serve the stale copy."""

from __future__ import annotations

REQUIREMENTS = ("TPL-LIST-SYNC-DEFAULT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.templates import TemplateService

    class SyncOnce(TemplateService):
        async def sync(self, channel):
            if not self.list_local(channel.id):
                await super().sync(channel)

    replace_component(reference.app, "TemplateService", SyncOnce)
