"""Waits 30 seconds for the customer's webhook answer instead of 5: a slow 200 counts as delivered."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-RETRY-TIMEOUT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelaySender

    class PatientSender(RelaySender):
        def __init__(self, **kwargs) -> None:
            kwargs["timeout_seconds"] = 30
            super().__init__(**kwargs)

    replace_component(reference.app, "RelaySender", PatientSender)
