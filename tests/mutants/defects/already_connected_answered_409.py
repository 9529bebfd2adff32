"""exchange-code refuses a Meta account held by another account with 409 Conflict instead of 400."""

from __future__ import annotations

REQUIREMENTS = ("CAP-ALREADY-CONNECTED-400",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.channel_service import ChannelError, ChannelService

    class ConflictStatus(ChannelService):
        async def connect(self, **kwargs):
            try:
                return await super().connect(**kwargs)
            except ChannelError as exc:
                if exc.status_code == 400 and "already connected" in str(exc.detail).lower():
                    raise ChannelError(409, exc.detail) from None
                raise

    replace_component(reference.app, "ChannelService", ConflictStatus)
