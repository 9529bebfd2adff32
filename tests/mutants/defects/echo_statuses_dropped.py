"""Profile fiwano-2026-10: delivered and read statuses of an echoed message are dropped (only the statuses of
sends through the API are relayed)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ECHO-STATUSES",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def without_echo_statuses(components):
        original(components)
        components.inbound.echo_statuses = False

    replace_component(reference.v2026, "apply", without_echo_statuses)
