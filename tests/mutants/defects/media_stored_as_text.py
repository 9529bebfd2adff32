"""Stores inbound media bytes through a UTF-8 text round trip: binary files come back corrupted."""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-DL-BYTES",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaRepository

    class TextRoundTrip(MediaRepository):
        def save(self, *, content, **kwargs):
            if content is not None:
                content = content.decode("utf-8", errors="replace").encode("utf-8")
            return super().save(content=content, **kwargs)

    replace_component(reference.app, "MediaRepository", TextRoundTrip)
