"""Reads "10 MB" as 10 MiB: inbound files up to 10 485 760 bytes are kept where the profile demands 10 000 000.

The binary reading of MEDIA-MAX-SIZE, run against the default profile that demands the decimal one.
"""

from __future__ import annotations

REQUIREMENTS = ("MEDIA-MAX-SIZE",)


def apply() -> None:
    import reference.app
    from reference.media import MediaService

    class BinaryMegabytes(MediaService):
        def __init__(self, *, max_bytes: int, **kwargs) -> None:
            super().__init__(max_bytes=10 * 1024 * 1024, **kwargs)

    reference.app.MediaService = BinaryMegabytes
