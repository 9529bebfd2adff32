"""Retries a failing customer webhook 10 times instead of at most 7."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-MAX",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class StubbornRelay(RelayService):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.max_retries += 3

    replace_component(reference.app, "RelayService", StubbornRelay)
