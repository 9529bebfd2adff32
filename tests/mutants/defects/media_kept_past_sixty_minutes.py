"""Keeps inbound media 61 minutes instead of 60: expires_at and the 410 come a minute late."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-DL-TTL", "MEDIA-DL-EXPIRED-410")


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class OneMinuteLonger(MediaService):
        def __init__(self, *, ttl_seconds: float, **kwargs) -> None:
            super().__init__(ttl_seconds=ttl_seconds + 60, **kwargs)

    replace_component(reference.app, "MediaService", OneMinuteLonger)
