"""Messenger "file" attachments are not recognised as media: a Pro channel relays documents as unsupported."""

from __future__ import annotations

REQUIREMENTS = ("TIER-PRO-INBOUND-MEDIA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.inbound import WA_MEDIA_TYPES, InboundService

    class WhatsAppMediaNames(InboundService):
        def is_media(self, item):
            return item.type in WA_MEDIA_TYPES

    replace_component(reference.app, "InboundService", WhatsAppMediaNames)
