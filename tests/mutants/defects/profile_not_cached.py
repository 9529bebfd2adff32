"""Sender profiles are not cached: every request goes to Meta and answers cached false."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-CACHE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileService

    class NoCache(ProfileService):
        def _cached(self, channel_id, user_id):
            return None

    replace_component(reference.app, "ProfileService", NoCache)
