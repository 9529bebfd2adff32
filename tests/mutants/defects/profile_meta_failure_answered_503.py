"""A Meta failure during a (synchronous) profile fetch is answered 503 Service Unavailable instead of 502."""

from __future__ import annotations

REQUIREMENTS = ("ERR-502-UPSTREAM",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileError, ProfileService

    class UnavailableProfiles(ProfileService):
        async def get(self, channel, user_id):
            try:
                return await super().get(channel, user_id)
            except ProfileError as exc:
                if exc.status_code == 502:
                    raise ProfileError(503, exc.detail) from None
                raise

    replace_component(reference.app, "ProfileService", UnavailableProfiles)
