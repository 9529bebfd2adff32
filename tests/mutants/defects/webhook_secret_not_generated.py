"""Setting a webhook_url without a secret leaves the channel without one: no webhook_secret is generated."""

from __future__ import annotations

REQUIREMENTS = ("WEBHOOK-SECRET-AUTOGEN",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.channel_service as service

    replace_component(service, "new_webhook_secret", lambda hex_chars=64: None)
