"""Profile fiwano-2026-10: messages Meta sends on the standby channel (handover protocol) are dropped."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-STANDBY-RECEIVED",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def messaging_only(components):
        original(components)
        components.inbound.standby_received = False

    replace_component(reference.v2026, "apply", messaging_only)
