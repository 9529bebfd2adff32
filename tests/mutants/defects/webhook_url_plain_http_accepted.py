"""A webhook_url with plain http:// is accepted: the URL check only looks at the host, not the scheme."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-WEBHOOK-URL-HTTPS",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelService

    class HttpAllowed(ChannelService):
        def check_webhook_url(self, url):
            if url.lower().startswith("http://"):
                super().check_webhook_url("https://" + url[len("http://"):])
                return url
            return super().check_webhook_url(url)

    replace_component(reference.app, "ChannelService", HttpAllowed)
