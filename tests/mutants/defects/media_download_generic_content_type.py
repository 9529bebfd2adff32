"""Serves every media download as application/octet-stream: the stored mime_type is not read back."""

from __future__ import annotations

import dataclasses

REQUIREMENTS = ("MEDIA-DL-OK",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaRepository

    class NoMimeType(MediaRepository):
        def get(self, media_id):
            stored = super().get(media_id)
            return dataclasses.replace(stored, mime_type=None) if stored is not None else None

    replace_component(reference.app, "MediaRepository", NoMimeType)
