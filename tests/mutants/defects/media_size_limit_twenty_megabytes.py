"""Reads "10 MB" as 20 MB: inbound files of 20 000 000 bytes are kept, beyond both readings of the limit.

(It was the binary reading, 10 MiB, until issue 19 made that an accepted reading of MEDIA-MAX-SIZE: the
suites now probe outside the 10 000 000 .. 10 485 760 band, where both readings agree.)
"""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-MAX-SIZE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.media import MediaService

    class TwentyMegabytes(MediaService):
        def __init__(self, *, max_bytes: int, **kwargs) -> None:
            super().__init__(max_bytes=20_000_000, **kwargs)

    replace_component(reference.app, "MediaService", TwentyMegabytes)
