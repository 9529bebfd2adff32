"""A channel of another account is answered 403 Forbidden (it exists, it is not yours) instead of 404."""

from __future__ import annotations

REQUIREMENTS = ("ISOLATION-CHANNEL-404",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.api.v1
    from reference.api.common import ApiError, components

    original = reference.api.v1.owned_channel

    def owned_channel(request, caller, channel_id):
        try:
            return original(request, caller, channel_id)
        except ApiError as exc:
            if exc.status_code == 404 and components(request).channels.get(channel_id) is not None:
                raise ApiError(403, "This channel belongs to another account") from None
            raise

    replace_component(reference.api.v1, "owned_channel", owned_channel)  # get, patch, delete and the send routes of /api/v1
