"""Classifies by HTTP status only: Meta's throttling codes sent with HTTP 400 are taken as permanent failures."""

from __future__ import annotations

REQUIREMENTS = ("SEND-TRANSIENT-THROTTLE-CODES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.meta_client import MetaClient

    class StatusOnly(MetaClient):
        async def send_message(self, sender_id, token, body):
            result = await super().send_message(sender_id, token, body)
            if not result.ok and result.http_status is not None and result.http_status < 429:
                result.transient = False
            return result

    replace_component(reference.app, "MetaClient", StatusOnly)
