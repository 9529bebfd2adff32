"""The profile endpoint on a WhatsApp channel answers 422 instead of 400."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-WA-400",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileError, ProfileService

    class Wrong4xx(ProfileService):
        async def get(self, channel, user_id):
            if channel.channel_type == "whatsapp":
                raise ProfileError(422, "Profiles are not available for WhatsApp channels")
            return await super().get(channel, user_id)

    replace_component(reference.app, "ProfileService", Wrong4xx)
