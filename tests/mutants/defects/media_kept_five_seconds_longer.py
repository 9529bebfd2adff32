"""Keeps inbound media 5 s past its 60 minutes: a download 1-5 s after the lifetime still answers 200."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-DL-EXPIRED-410",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class FewSecondsLonger(MediaService):
        def __init__(self, *, ttl_seconds: float, **kwargs) -> None:
            super().__init__(ttl_seconds=ttl_seconds + 5, **kwargs)

    replace_component(reference.app, "MediaService", FewSecondsLonger)
