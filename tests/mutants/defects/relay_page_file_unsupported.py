"""Instagram/Facebook "file" attachments are relayed as "unsupported": file is missing from the page media types."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-MEDIA-TYPES-IGFB",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.inbound

    replace_component(reference.inbound, "PAGE_MEDIA_TYPES", {k: v for k, v in reference.inbound.PAGE_MEDIA_TYPES.items() if k != "file"})
