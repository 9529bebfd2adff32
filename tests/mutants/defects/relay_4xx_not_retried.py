"""A 4xx answer from the webhook endpoint is taken as permanent: the delivery fails without a retry."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-NON-2XX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class ClientErrorsFinal(RelayService):
        async def attempt(self, delivery):
            await super().attempt(delivery)
            latest = self.deliveries.get(delivery.id)
            if (latest is not None and latest.state == "pending" and latest.last_status is not None
                    and 400 <= latest.last_status < 500):
                self.deliveries.mark_failed(latest.id, latest.attempts, latest.last_status, latest.last_error)

    replace_component(reference.app, "RelayService", ClientErrorsFinal)
