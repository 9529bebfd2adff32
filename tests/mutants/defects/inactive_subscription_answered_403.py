"""A send with an inactive subscription (expired, canceled, none) is answered 403 Forbidden instead of 402."""

from __future__ import annotations

REQUIREMENTS = ("ERR-402-PAYMENT",)


def apply() -> None:
    import reference.api.v1
    from reference.api.common import ApiError

    original = reference.api.v1.sendable_channel

    def sendable_channel(request, caller, channel_id):
        try:
            return original(request, caller, channel_id)
        except ApiError as exc:
            if exc.status_code == 402:
                raise ApiError(403, exc.detail) from None
            raise

    reference.api.v1.sendable_channel = sendable_channel
