"""Sends the early-warning e-mail after the 2nd failed retry of a queued send instead of the 3rd."""

from __future__ import annotations

REQUIREMENTS = ("SEND-RETRY-WARNING-NOTICE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.sending import SendService

    class EarlyWarning(SendService):
        def __init__(self, **kwargs):
            kwargs["warn_after_retries"] = int(kwargs.get("warn_after_retries", 3)) - 1
            super().__init__(**kwargs)

    replace_component(reference.app, "SendService", EarlyWarning)
