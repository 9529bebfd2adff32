"""Retries a queued send 20 times over an hour: no 7-retry cap and no ~20-minute deadline."""

from __future__ import annotations

REQUIREMENTS = ("SEND-RETRY-MAX", "SEND-RETRY-DEADLINE")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class Unbounded(SendService):
        def __init__(self, **kwargs):
            kwargs.update(max_retries=20, deadline_seconds=3600.0)
            super().__init__(**kwargs)

    replace_component(reference.app, "SendService", Unbounded)
