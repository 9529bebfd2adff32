"""Profile fiwano-2026-10: a revoked authorisation still deactivates the channel (the v1 rule) besides marking
its health."""

from __future__ import annotations

REQUIREMENTS = ("CHANNEL-HEALTH-NOT-TORN-DOWN",)


def apply() -> None:
    import reference.v2026
    from tests.mutants.seams import replace_component

    original = reference.v2026.apply

    def tearing_down(components):
        from reference.meta_client import authorisation_revoked

        original(components)
        watch = components.sending.access_watch

        def watch_and_deactivate(channel, result):
            watch(channel, result)
            if authorisation_revoked(result):
                components.channels.deactivate(channel.id)

        components.sending.access_watch = watch_and_deactivate

    replace_component(reference.v2026, "apply", tearing_down)
