"""Profile fiwano-2026-10: a WhatsApp unsupported message keeps unsupported_type "unsupported" instead of
naming the content Meta names."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-UNSUPPORTED-NAMES-TYPE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.v2026

    original = reference.v2026.apply

    def generic(components):
        original(components)
        components.inbound.names_unsupported = False

    replace_component(reference.v2026, "apply", generic)
