"""Sending with an unknown channel_id answers 400 (treated as an invalid body field) instead of 404."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-404-UNKNOWN",)


def apply() -> None:
    from reference.api import v1
    from reference.api.common import ApiError

    original = v1.sendable_channel

    def sendable_channel(request, caller, channel_id):
        try:
            return original(request, caller, channel_id)
        except ApiError as exc:
            if exc.status_code == 404:
                raise ApiError(400, "Invalid channel_id") from None
            raise

    v1.sendable_channel = sendable_channel
