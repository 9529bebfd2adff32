"""Retries a failing customer webhook 10 times instead of at most 7."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-MAX",)


def apply() -> None:
    import reference.app
    from reference.relay import RelayService

    class StubbornRelay(RelayService):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.max_retries += 3

    reference.app.RelayService = StubbornRelay
