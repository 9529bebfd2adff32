"""The relay keeps the secret it first signed with for each webhook URL: a rotated secret is not used."""

from __future__ import annotations

REQUIREMENTS = ("WEBHOOK-SECRET-ROTATION",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelaySender

    class CachingSender(RelaySender):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._secrets: dict[str, str | None] = {}

        async def send(self, url, body, secret, event, delivery_id):
            secret = self._secrets.setdefault(url, secret)
            return await super().send(url, body, secret, event, delivery_id)

    replace_component(reference.app, "RelaySender", CachingSender)
