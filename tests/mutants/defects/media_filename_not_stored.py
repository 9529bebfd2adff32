"""Does not keep the original filename of inbound media: downloads carry a bare 'attachment' disposition."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("MEDIA-DL-FILENAME",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaRepository

    class NoFilename(MediaRepository):
        def get(self, media_id):
            stored = super().get(media_id)
            return dataclasses.replace(stored, filename=None) if stored is not None else None

    replace_component(reference.app, "MediaRepository", NoFilename)
