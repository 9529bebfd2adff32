"""Every WhatsApp 131xxx error code is taken as transient: 131047 (outside the 24-hour window) is retried."""

from __future__ import annotations

REQUIREMENTS = ("SEND-WINDOW-WA",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.meta_client

    original = reference.meta_client.classify

    def family(http_status, error):
        code = error.get("code") if isinstance(error, dict) else None
        if isinstance(code, int) and 131000 <= code <= 131999:
            return True
        return original(http_status, error)

    replace_component(reference.meta_client, "classify", family)
