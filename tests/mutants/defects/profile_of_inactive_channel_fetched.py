"""The profile endpoint does not check is_active: an inactive channel still fetches profiles from Meta."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("PROFILE-INACTIVE-400",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileService

    class IgnoresInactive(ProfileService):
        async def get(self, channel, user_id):
            return await super().get(dataclasses.replace(channel, is_active=True), user_id)

    replace_component(reference.app, "ProfileService", IgnoresInactive)
