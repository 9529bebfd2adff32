"""A newly connected channel gets every event of its type enabled when the caller names none."""

from __future__ import annotations

REQUIREMENTS = ("CONNECT-EVENTS-DEFAULT-NONE",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import json

    import reference.app
    from reference.repos.channels import EVENTS_BY_TYPE, ChannelRepository

    class AllEventsByDefault(ChannelRepository):
        def create(self, **kwargs):
            channel = super().create(**kwargs)
            self.db.execute("UPDATE channels SET webhook_events = ? WHERE id = ?",
                            (json.dumps(list(EVENTS_BY_TYPE[channel.channel_type])), channel.id))
            return self.get(channel.id)

    replace_component(reference.app, "ChannelRepository", AllEventsByDefault)
