"""Reports the HTTP status of Meta's answer (400) as error_code instead of Meta's error code."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-SEND-ERROR-CODE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.meta_client import MetaClient

    class HttpStatusAsCode(MetaClient):
        async def send_message(self, sender_id, token, body):
            result = await super().send_message(sender_id, token, body)
            if not result.ok and result.http_status is not None:
                result.error_code = result.http_status
            return result

    replace_component(reference.app, "MetaClient", HttpStatusAsCode)
