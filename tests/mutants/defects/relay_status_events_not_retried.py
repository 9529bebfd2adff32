"""Retries only message.received deliveries: a delivery-status webhook (sent, delivered, read, failed) whose
first attempt fails is given up at once."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-SCHEDULE", "RELAY-RETRY-NON-2XX")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class StatusesOnce(RelayService):
        async def attempt(self, delivery):
            if delivery.event == "message.received":
                return await super().attempt(delivery)
            saved, self.max_retries = self.max_retries, 0
            try:
                return await super().attempt(delivery)
            finally:
                self.max_retries = saved

    replace_component(reference.app, "RelayService", StatusesOnce)
