"""Sending with an unknown channel_id answers 400 (treated as an invalid body field) instead of 404."""

from __future__ import annotations

REQUIREMENTS = ('CHANNEL-404-UNKNOWN',)


def apply() -> None:
    import reference.api.v1
    from tests.mutants.defects._shared import remap_api_error

    remap_api_error(reference.api.v1, "sendable_channel", 404, 400, "Invalid channel_id")
