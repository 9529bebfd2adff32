"""Profile fiwano-2026-10: a tapped WhatsApp button or list row still arrives as "unsupported" (the v1 relay)."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-TAP-AS-TEXT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound

    replace_component(reference.inbound, "_whatsapp_tap", lambda msg: None)
