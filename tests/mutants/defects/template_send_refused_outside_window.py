"""Applies the WhatsApp 24-hour customer window to template sends too: templates to quiet customers are refused."""

from __future__ import annotations

REQUIREMENTS = ("TPL-SEND-OUTSIDE-WINDOW",)

WINDOW_SECONDS = 24 * 3600


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.api.common import ApiError
    from reference.sending import SendService

    class WindowForEverything(SendService):
        async def send(self, *, channel, recipient, kind, **kwargs):
            if channel.channel_type == "whatsapp":
                row = self.messages.db.one("SELECT MAX(created_at) FROM messages WHERE channel_id = ? AND"
                                           " direction = 'in' AND peer = ?", (channel.id, recipient))
                last = row[0] if row else None
                if last is not None and self.clock.now() - last > WINDOW_SECONDS:
                    raise ApiError(400, "The 24-hour customer service window is closed")
            return await super().send(channel=channel, recipient=recipient, kind=kind, **kwargs)

    replace_component(reference.app, "SendService", WindowForEverything)
