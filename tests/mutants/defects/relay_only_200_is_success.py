"""Only HTTP 200 counts as a successful delivery: 201, 204 and other 2xx answers are retried."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-2XX-ONCE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelaySender, SendOutcome

    class Only200(RelaySender):
        async def send(self, url, body, secret, event, delivery_id):
            outcome = await super().send(url, body, secret, event, delivery_id)
            if outcome.ok and outcome.status != 200:
                return SendOutcome(False, outcome.status, f"HTTP {outcome.status}")
            return outcome

    replace_component(reference.app, "RelaySender", Only200)
