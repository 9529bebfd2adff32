"""Profile fiwano-2026-10: messages the business sent outside Fiwano are never relayed as message.echo (Meta's
echoes are skipped as in v1)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ECHO",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def without_echoes(components):
        original(components)
        components.inbound.relays_echoes = False

    replace_component(reference.v2026, "apply", without_echoes)
