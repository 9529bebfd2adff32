"""Mistakes Meta's acceptance of a retried send for a failure once, so the queued message is sent twice."""

from __future__ import annotations

REQUIREMENTS = ("SEND-RETRY-SUCCESS-ONCE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import json

    import reference.app
    from reference.meta_client import MetaClient, MetaResult

    class ForgetfulClient(MetaClient):
        _failed: set = set()
        _duplicated: set = set()

        async def send_message(self, sender_id, token, body):
            result = await super().send_message(sender_id, token, body)
            key = json.dumps(body, sort_keys=True)
            if not result.ok:
                self._failed.add(key)
            elif key in self._failed and key not in self._duplicated:
                self._duplicated.add(key)
                return MetaResult(ok=False, transient=True, error_message="timeout calling Meta: ReadTimeout")
            return result

    replace_component(reference.app, "MetaClient", ForgetfulClient)
