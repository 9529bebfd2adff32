"""Profile fiwano-2026-10: a shared post, reel or story mention still arrives as "unsupported" (the v1 relay)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-SHARE",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def broken(components):
        original(components)
        components.inbound.shares = False

    replace_component(reference.v2026, "apply", broken)
