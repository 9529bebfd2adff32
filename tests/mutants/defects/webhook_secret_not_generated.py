"""Setting a webhook_url without a secret leaves the channel without one: no webhook_secret is generated."""

from __future__ import annotations

REQUIREMENTS = ("WEBHOOK-SECRET-AUTOGEN",)


def apply() -> None:
    import reference.channel_service as service

    service.new_webhook_secret = lambda hex_chars=64: None
