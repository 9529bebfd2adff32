"""An Instagram/Messenger reply refused outside the 24-hour window is resent at once with the HUMAN_AGENT tag."""

from __future__ import annotations

REQUIREMENTS = ("SEND-WINDOW-IGFB",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.meta_client import MetaClient

    class TagWorkaround(MetaClient):
        async def send_message(self, sender_id, token, body):
            result = await super().send_message(sender_id, token, body)
            if not result.ok and result.error_code == 10 and "recipient" in body and "tag" not in body:
                tagged = {**body, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
                return await super().send_message(sender_id, token, tagged)
            return result

    replace_component(reference.app, "MetaClient", TagWorkaround)
