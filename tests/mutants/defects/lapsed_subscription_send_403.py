"""Sending on an expired, canceled or absent subscription is answered 403 Forbidden instead of 402."""

from __future__ import annotations

REQUIREMENTS = ("SUB-INACTIVE-402",)


def apply() -> None:
    from reference.api import v1
    from reference.api.common import ApiError

    original = v1.sendable_channel

    def sendable_channel(request, caller, channel_id):
        try:
            return original(request, caller, channel_id)
        except ApiError as exc:
            if exc.status_code == 402:
                raise ApiError(403, exc.detail) from None
            raise

    v1.sendable_channel = sendable_channel
