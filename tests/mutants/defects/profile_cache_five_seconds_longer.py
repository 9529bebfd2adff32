"""Serves cached sender profiles 5 s past the documented 5 minutes."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-CACHE-EXPIRY",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileService

    class SlightlyLonger(ProfileService):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.cache_seconds += 5

    replace_component(reference.app, "ProfileService", SlightlyLonger)
