"""The Meta token is refreshed 7 hours before it expires instead of 7 days (the window is read as hours)."""

from __future__ import annotations

REQUIREMENTS = ("TOKEN-AUTO-REFRESH",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    import reference.app
    from reference.repos.channels import ChannelRepository

    class HoursNotDays(ChannelRepository):
        def claim_refresh_due(self, now, refresh_before, lease_seconds):
            return super().claim_refresh_due(now, refresh_before / 24, lease_seconds)

        def next_refresh_at(self, refresh_before):
            return super().next_refresh_at(refresh_before / 24)

    replace_component(reference.app, "ChannelRepository", HoursNotDays)
