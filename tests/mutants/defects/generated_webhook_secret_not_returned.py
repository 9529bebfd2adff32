"""A webhook secret Fiwano generates is stored but never returned: the answer's webhook_secret is null."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EXCHANGE-SECRET-AUTOGEN",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class WriteOnlySecrets(ChannelService):
        def configure_webhook(self, channel, fields):
            updated, shown = super().configure_webhook(channel, fields)
            return updated, shown if fields.get("webhook_secret") is not None else None

    replace_component(reference.app, "ChannelService", WriteOnlySecrets)
