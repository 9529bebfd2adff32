"""Serves sender profiles from cache for ever: the 5-minute expiry of the profile cache is lost."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-CACHE-EXPIRY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileService

    class EternalCache(ProfileService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.cache_seconds = 10 * 365 * 86400.0

    replace_component(reference.app, "ProfileService", EternalCache)
