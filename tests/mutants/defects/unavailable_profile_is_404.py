"""A profile Meta does not give (private account, invalid id) is answered 404 instead of 200 with profile null."""

from __future__ import annotations

REQUIREMENTS = ("PROFILE-UNAVAILABLE-NULL",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileError, ProfileService

    class NotFound(ProfileService):
        async def get(self, channel, user_id):
            answer = await super().get(channel, user_id)
            if answer.get("profile") is None:
                raise ProfileError(404, "Profile not found")
            return answer

    replace_component(reference.app, "ProfileService", NotFound)
