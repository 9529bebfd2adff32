"""Answers a Meta failure during a profile fetch as 200 with profile null instead of 502."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-META-502",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileError, ProfileService

    class SwallowingProfiles(ProfileService):
        async def get(self, channel, user_id):
            try:
                return await super().get(channel, user_id)
            except ProfileError as exc:
                if exc.status_code != 502:
                    raise
                return {"channel_id": channel.id, "channel_type": channel.channel_type, "user_id": user_id,
                        "profile": None, "cached": False}

    replace_component(reference.app, "ProfileService", SwallowingProfiles)
