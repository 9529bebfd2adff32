"""A refused or reset connection fails the delivery at once: only HTTP answers (and timeouts) are retried."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-UNREACHABLE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class ConnectionErrorsFinal(RelayService):
        async def attempt(self, delivery):
            await super().attempt(delivery)
            latest = self.deliveries.get(delivery.id)
            if (latest is not None and latest.state == "pending" and latest.attempts > 0
                    and latest.last_status is None and not (latest.last_error or "").startswith("no answer within")):
                self.deliveries.mark_failed(latest.id, latest.attempts, None, latest.last_error)

    replace_component(reference.app, "RelayService", ConnectionErrorsFinal)
