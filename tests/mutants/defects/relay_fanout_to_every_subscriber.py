"""Events fan out to every channel of the type subscribed to them: the subscriber lookup misses the channel filter."""

from __future__ import annotations

REQUIREMENTS = ("RELAY-ISOLATION",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.relay import RelayService

    class FanOutRelay(RelayService):
        def emit(self, channel, event, data, **kwargs):
            first = super().emit(channel, event, data, **kwargs)
            rows = self.channels.db.all(
                "SELECT id FROM channels WHERE channel_type = ? AND is_active = 1 AND webhook_url IS NOT NULL"
                " AND id != ?", (channel.channel_type, channel.id))
            for row in rows:
                other = self.channels.get(row[0])
                if other is not None:
                    super().emit(other, event, data, **kwargs)
            return first

    replace_component(reference.app, "RelayService", FanOutRelay)
