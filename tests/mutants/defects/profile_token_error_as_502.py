"""Meta's 190 "token expired" answer to a profile fetch is reported as 502, like any Meta failure, instead of 400."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("PROFILE-EXPIRED-TOKEN-400",)


class _NoTokenErrors:
    """The Meta client as this implementation reads it: it looks at the HTTP status only, not at code 190."""

    def __init__(self, meta) -> None:
        self._meta = meta

    def __getattr__(self, name):
        return getattr(self._meta, name)

    async def get_object(self, *args, **kwargs):
        result = await self._meta.get_object(*args, **kwargs)
        if not result.ok and result.error_code == 190:
            result = dataclasses.replace(result, error_code=None, error_subcode=None)
        return result


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.profiles import ProfileService

    class TokenErrorIs502(ProfileService):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.meta = _NoTokenErrors(self.meta)

    replace_component(reference.app, "ProfileService", TokenErrorIs502)
