"""Serves a media file to any Pro account that knows its media_id: the owner check always passes."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("MEDIA-DL-ISOLATION",)


class _AnyAccount(str):
    """An account id that compares equal to every account id (the check that compares them is lost)."""

    def __eq__(self, other):
        return isinstance(other, str)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaRepository

    class Unowned(MediaRepository):
        def get(self, media_id):
            stored = super().get(media_id)
            return dataclasses.replace(stored, account_id=_AnyAccount(stored.account_id)) if stored else None

    replace_component(reference.app, "MediaRepository", Unowned)
