"""Retries a failed customer webhook after 1 second each time instead of 30 s, 1 min, 2 min...

The backoff is ignored: a failing endpoint is hammered with the whole retry budget within seconds.
"""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-SCHEDULE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class ImpatientRelay(RelayService):
        def next_delay(self, retries_done: int) -> float:
            return 1.0

    replace_component(reference.app, "RelayService", ImpatientRelay)
