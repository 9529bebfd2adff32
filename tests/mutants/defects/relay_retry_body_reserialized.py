"""Re-serialises the event on every retry: retries carry byte-different bodies (and signatures).

The first attempt sends the stored bytes; each retry dumps the parsed JSON again with other separators,
as an implementation that rebuilds the payload per attempt would.
"""

from __future__ import annotations

import json

REQUIREMENTS = ("RELAY-RETRY-SAME-BODY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelaySender

    class ReserializingSender(RelaySender):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self._attempts: dict[str, int] = {}

        async def send(self, url, body, secret, event, delivery_id):
            count = self._attempts.get(delivery_id, 0)
            self._attempts[delivery_id] = count + 1
            if count:
                body = json.dumps(json.loads(body), indent=count).encode("utf-8")
            return await super().send(url, body, secret, event, delivery_id)

    replace_component(reference.app, "RelaySender", ReserializingSender)
