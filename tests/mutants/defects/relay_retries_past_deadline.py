"""Keeps retrying a failing customer webhook after the 20-minute deadline (no deadline at all)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-DEADLINE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class DeadlineFreeRelay(RelayService):
        def __init__(self, **kwargs) -> None:
            kwargs["deadline_seconds"] = 10 ** 9
            super().__init__(**kwargs)

    replace_component(reference.app, "RelayService", DeadlineFreeRelay)
